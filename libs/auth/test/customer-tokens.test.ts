import http from 'node:http';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { createCustomerVerifier, generateCustomerKeyPair, signCustomerToken } from '../src';
import { CustomerTokenCache } from '../src/customer-token-cache';

const keys = generateCustomerKeyPair();
const issuer = 'trx';
const audience = 'trx-orders';
const sign = (o: Partial<Parameters<typeof signCustomerToken>[0]> = {}) =>
  signCustomerToken({ privateKeyPem: keys.privateKeyPem, customerId: 7, issuer, audience, ...o });

test('a customer token names its customer; a repeat is answered from the cache until it expires', async () => {
  let now = Date.now();
  const verifier = await createCustomerVerifier({
    publicKeyPem: keys.publicKeyPem,
    issuer,
    audience,
    clock: () => now,
  });
  const token = await sign({ ttlSeconds: 60 });
  expect(await verifier.verify(token)).toBe(7);
  expect(await verifier.verify(token)).toBe(7);
  now += 61_000;
  await expect(verifier.verify(token)).rejects.toMatchObject({ name: 'UnauthenticatedError' });
});

test('a token of another key, issuer or audience, or with a subject that is no customer id, is refused', async () => {
  const verifier = await createCustomerVerifier({ publicKeyPem: keys.publicKeyPem, issuer, audience });
  const other = generateCustomerKeyPair();
  const refused = [
    await sign({ privateKeyPem: other.privateKeyPem }),
    await sign({ issuer: 'elsewhere' }),
    await sign({ audience: 'elsewhere' }),
    await sign({ customerId: 0 }),
    'not.a.jwt',
  ];
  for (const token of refused) {
    await expect(verifier.verify(token)).rejects.toMatchObject({ name: 'UnauthenticatedError' });
  }
});

test('only verified tokens are remembered; a repeat of one is answered without verifying it again', async () => {
  const remember = jest.spyOn(CustomerTokenCache.prototype, 'remember');
  try {
    const verifier = await createCustomerVerifier({ publicKeyPem: keys.publicKeyPem, issuer, audience });
    const bad = await sign({ privateKeyPem: generateCustomerKeyPair().privateKeyPem });
    for (let i = 0; i < 3; i++) {
      await expect(verifier.verify(bad)).rejects.toMatchObject({ name: 'UnauthenticatedError' });
    }
    expect(remember).not.toHaveBeenCalled();
    const good = await sign();
    for (let i = 0; i < 3; i++) expect(await verifier.verify(good)).toBe(7);
    expect(remember).toHaveBeenCalledTimes(1);
  } finally {
    remember.mockRestore();
  }
});

test('a token is refused before its nbf, remembered once valid, and refused again if the clock goes back', async () => {
  let now = Date.now();
  const verifier = await createCustomerVerifier({
    publicKeyPem: keys.publicKeyPem,
    issuer,
    audience,
    clock: () => now,
  });
  const nbf = Math.floor(now / 1000) + 60;
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'EdDSA' })
    .setSubject('7')
    .setIssuer(issuer)
    .setAudience(audience)
    .setNotBefore(nbf)
    .setExpirationTime(nbf + 60)
    .sign(createPrivateKey(keys.privateKeyPem));
  const notYet = { reason: 'invalid customer token (ERR_JWT_CLAIM_VALIDATION_FAILED)' };
  await expect(verifier.verify(token)).rejects.toMatchObject(notYet);
  now = nbf * 1000;
  expect(await verifier.verify(token)).toBe(7);
  now = nbf * 1000 - 1;
  await expect(verifier.verify(token)).rejects.toMatchObject(notYet);
});

/** An identity provider's key set, served over HTTP; `keys` is what it serves now. */
async function jwksServer(keys: string[]) {
  const served = { keys: keys.map((pem) => createPublicKey(pem).export({ format: 'jwk' })) };
  const server = http.createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(served)),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`,
    serve: (pems: string[]) =>
      (served.keys = pems.map((pem) => createPublicKey(pem).export({ format: 'jwk' }))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test('once the key set is reloaded without the key a remembered token was signed with, that token is refused', async () => {
  const next = generateCustomerKeyPair();
  const idp = await jwksServer([keys.publicKeyPem]);
  const start = Date.now();
  const clock = () => start; // the claims' clock; jose's key set ages by Date.now
  const dateNow = jest.spyOn(Date, 'now');
  try {
    const verifier = await createCustomerVerifier({ jwksUrl: idp.url, issuer, audience, clock });
    const old = await sign();
    expect(await verifier.verify(old)).toBe(7);
    idp.serve([next.publicKeyPem]);
    dateNow.mockReturnValue(start + 11 * 60_000); // past jose's 10 minutes: the set is fetched again
    await expect(verifier.verify(old)).rejects.toMatchObject({ name: 'UnauthenticatedError' });
    expect(await verifier.verify(await sign({ privateKeyPem: next.privateKeyPem }))).toBe(7);
  } finally {
    dateNow.mockRestore();
    await idp.close();
  }
});

test('a verifier needs a key: no JWKS URL and no public key is a configuration error', async () => {
  await expect(createCustomerVerifier({ issuer, audience })).rejects.toMatchObject({
    name: 'CredentialConfigError',
  });
  await expect(createCustomerVerifier({ issuer, audience, publicKeyPem: 'nonsense' })).rejects.toMatchObject({
    name: 'CredentialConfigError',
  });
});
