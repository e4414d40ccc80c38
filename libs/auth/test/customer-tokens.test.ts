import { createCustomerVerifier, generateCustomerKeyPair, signCustomerToken } from '../src';

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

test('a verifier needs a key: no JWKS URL and no public key is a configuration error', async () => {
  await expect(createCustomerVerifier({ issuer, audience })).rejects.toMatchObject({
    name: 'CredentialConfigError',
  });
  await expect(createCustomerVerifier({ issuer, audience, publicKeyPem: 'nonsense' })).rejects.toMatchObject({
    name: 'CredentialConfigError',
  });
});
