import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { createRemoteJWKSet, importPKCS8, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { CustomerTokenCache, type VerifiedCustomerToken } from './customer-token-cache';
import { CredentialConfigError, UnauthenticatedError } from './errors';

export interface CustomerVerifierOptions {
  /** A JWKS endpoint (the identity provider's keys, fetched and cached by jose). */
  jwksUrl?: string;
  /** Or one public key, PEM (SPKI). */
  publicKeyPem?: string;
  issuer: string;
  audience: string;
  /** Verified tokens remembered (default 10 000, oldest out first): a repeat skips the signature. */
  cacheSize?: number;
  clock?: () => number;
}

export interface CustomerVerifier {
  /** The customer id a token was issued to (its `sub`), or UnauthenticatedError. */
  verify(token: string): Promise<number>;
}

const ALGORITHMS = ['EdDSA', 'ES256', 'ES384', 'RS256', 'PS256'];
const CUSTOMER_ID = /^[1-9][0-9]{0,9}$/;

/**
 * Verifies customers' bearer JWTs: signature (against the JWKS or the key), issuer, audience,
 * expiry, and a `sub` that is a customer id. A verified token is remembered (CustomerTokenCache
 * says why a repeat is only answered while the verifier would still accept it), so a client's
 * repeated calls cost one signature check.
 */
export async function createCustomerVerifier(o: CustomerVerifierOptions): Promise<CustomerVerifier> {
  const key = verificationKey(o);
  const now = o.clock ?? Date.now;
  const cache = new CustomerTokenCache({ capacity: o.cacheSize ?? 10_000, keyFor: key, now });
  return {
    async verify(token) {
      const cached = await cache.lookup(token);
      if (cached !== undefined) return cached;
      const verified = await verifyInFull(token, key, o, now());
      cache.remember(token, verified);
      return verified.customerId;
    },
  };
}

/** Every check, the signature's included; UnauthenticatedError says which one failed. */
async function verifyInFull(
  token: string,
  key: JWTVerifyGetKey,
  o: CustomerVerifierOptions,
  now: number,
): Promise<VerifiedCustomerToken> {
  const { payload, key: verifiedWith } = await jwtVerify(token, key, {
    issuer: o.issuer,
    audience: o.audience,
    algorithms: ALGORITHMS,
    requiredClaims: ['exp', 'sub'],
    currentDate: new Date(now),
  }).catch((err: unknown) => {
    throw new UnauthenticatedError(
      `invalid customer token (${(err as { code?: string }).code ?? 'invalid'})`,
    );
  });
  if (!CUSTOMER_ID.test(payload.sub ?? ''))
    throw new UnauthenticatedError('token subject is not a customer id');
  return { customerId: Number(payload.sub), key: verifiedWith, exp: payload.exp!, nbf: payload.nbf };
}

function verificationKey(o: CustomerVerifierOptions): JWTVerifyGetKey {
  if (o.jwksUrl) return createRemoteJWKSet(new URL(o.jwksUrl), { timeoutDuration: 5000 });
  if (!o.publicKeyPem) throw new CredentialConfigError('a customer JWKS URL or public key is required');
  try {
    const key = createPublicKey(o.publicKeyPem.replace(/\\n/g, '\n'));
    return () => key;
  } catch {
    throw new CredentialConfigError('the customer public key is not a PEM public key');
  }
}

export interface SignCustomerTokenOptions {
  privateKeyPem: string;
  customerId: number;
  issuer: string;
  audience: string;
  /** Lifetime in seconds (default 24 h). */
  ttlSeconds?: number;
}

/** Signs a customer token with an Ed25519 key (`npm run token`, tests, the benchmark). */
export async function signCustomerToken(o: SignCustomerTokenOptions): Promise<string> {
  const key = await importPKCS8(o.privateKeyPem.replace(/\\n/g, '\n'), 'EdDSA');
  return new SignJWT({})
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
    .setSubject(String(o.customerId))
    .setIssuer(o.issuer)
    .setAudience(o.audience)
    .setIssuedAt()
    .setExpirationTime(`${o.ttlSeconds ?? 86_400}s`)
    .sign(key);
}

/** A fresh Ed25519 key pair as PEMs (up.sh's local signing key, tests). */
export function generateCustomerKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
