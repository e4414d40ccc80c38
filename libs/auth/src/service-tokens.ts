import { hash, randomBytes } from 'node:crypto';
import { CredentialConfigError } from './errors';

/** Identities a service token can stand for: a service's discovery name, or `operator`. */
export type Identity = string;

/**
 * The digest a verifier keeps instead of the token: hex SHA-256 of the token string (UTF-8).
 * Every request with a service token pays it, so it is the one-shot `hash`: about a third
 * of createHash's cost, for which a Hash object is made and dropped each time.
 */
export function tokenDigest(token: string): string {
  return hash('sha256', token, 'hex');
}

/** A fresh service token: 32 random bytes, base64url (43 characters). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

export const MIN_TOKEN_LENGTH = 32;
const IDENTITY = /^[a-z0-9][a-z0-9-]{0,62}$/;
const DIGEST = /^[0-9a-f]{64}$/;

/**
 * Parses `TRX_TRUSTED_CALLERS`: `identity:sha256hex,identity:sha256hex,...`. One identity may
 * appear twice (the old and the new token while a secret is rotated).
 */
export function parseTrustedCallers(raw: string): Map<string, Identity> {
  const trusted = new Map<string, Identity>();
  for (const entry of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const colon = entry.lastIndexOf(':');
    const identity = entry.slice(0, colon);
    const digest = entry.slice(colon + 1).toLowerCase();
    if (colon <= 0 || !IDENTITY.test(identity) || !DIGEST.test(digest)) {
      throw new CredentialConfigError(
        `expected identity:<64 hex digits of sha256(token)>, got "${entry.slice(0, 80)}"`,
      );
    }
    trusted.set(digest, identity);
  }
  return trusted;
}

/** Renders a trusted-callers value from tokens (scripts and tests; a chart does it with sha256sum). */
export function trustedCallersOf(tokens: Record<Identity, string | string[]>): string {
  return Object.entries(tokens)
    .flatMap(([identity, t]) => [t].flat().map((token) => `${identity}:${tokenDigest(token)}`))
    .join(',');
}

/**
 * Tells who sent a bearer token. The verifier holds only digests: reading its configuration
 * (or its memory) gives nobody a token to call with. One SHA-256 and a map probe per request.
 * That is also why identities are not cached by token: a map from tokens to identities would
 * keep every caller's token (the operator's too) in the heap, for a saving of under a
 * microsecond a request over the one-shot digest.
 */
export class ServiceTokenVerifier {
  private readonly trusted: Map<string, Identity>;

  constructor(trusted: Map<string, Identity> | string) {
    this.trusted = typeof trusted === 'string' ? parseTrustedCallers(trusted) : trusted;
  }

  /** The identity of `token`, or undefined when it is not a trusted token. */
  identify(token: string): Identity | undefined {
    if (token.length < MIN_TOKEN_LENGTH || token.length > 512) return undefined;
    // A probe by digest, not a comparison of tokens: timing reveals at most how much of a
    // SHA-256 digest matched, which an attacker can't steer towards a token.
    return this.trusted.get(tokenDigest(token));
  }

  identities(): Identity[] {
    return [...new Set(this.trusted.values())];
  }
}

/** `Bearer <token>` → token; anything else → undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(authorization);
  return match?.[1];
}
