import { KeyObject } from 'node:crypto';
import {
  decodeProtectedHeader,
  type JWK,
  type JWTHeaderParameters,
  type JWTVerifyGetKey,
  type KeyLike,
} from 'jose';

/** What one full verification of a customer token established. */
export interface VerifiedCustomerToken {
  customerId: number;
  /** The key its signature verified under. */
  key: KeyLike | JWK | Uint8Array;
  /** Its `exp` and `nbf` claims (NumericDates, seconds). */
  exp: number;
  nbf?: number;
}

export interface CustomerTokenCacheOptions {
  /** Tokens remembered at most; past it the oldest goes first. 0 remembers none. */
  capacity: number;
  /** The verifier's own key getter (a JWKS may drop or replace a key). */
  keyFor: JWTVerifyGetKey;
  /** Milliseconds since the epoch: the verifier's clock. */
  now: () => number;
}

/**
 * Verified customer tokens, so that a client's repeats skip the signature check. A repeat is
 * answered only when the verifier would accept the token at that moment, because everything
 * its answer depends on is checked again or cannot have changed:
 * - the token is the same string (the map's key), so its header, claims and signature are;
 *   issuer, audience, algorithms and the subject's form are fixed for the verifier's life;
 * - `exp` and `nbf` hold now, by jose's own rule (whole seconds, no tolerance);
 * - the key getter, asked now for this token's header, still gives the key the signature
 *   verified under: a JWKS that was reloaded without that key (or with another one for the
 *   header) is a miss, never a stale yes.
 * Anything else (a check that fails, a getter that throws) is a miss: the caller verifies in
 * full and refuses with jose's own reason. Only verified tokens are remembered, and at most
 * `capacity` of them, so neither bad tokens nor many good ones grow it without bound; someone
 * who can fill it must hold tokens signed by the customer key, and then only evicts others.
 */
export class CustomerTokenCache {
  private readonly entries = new Map<string, VerifiedCustomerToken>();

  constructor(private readonly o: CustomerTokenCacheOptions) {}

  /** The customer id of a remembered token the verifier would still accept, else undefined. */
  async lookup(token: string): Promise<number | undefined> {
    const hit = this.entries.get(token);
    if (!hit) return undefined;
    if (await this.stillAccepted(token, hit)) return hit.customerId;
    this.entries.delete(token);
    return undefined;
  }

  /** Call only with what a full verification of `token` returned. */
  remember(token: string, verified: VerifiedCustomerToken): void {
    if (this.o.capacity <= 0) return;
    // Two concurrent misses of one token both land here: the second replaces, evicts nobody.
    this.entries.delete(token);
    if (this.entries.size >= this.o.capacity) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, verified);
  }

  get size(): number {
    return this.entries.size;
  }

  private async stillAccepted(token: string, hit: VerifiedCustomerToken): Promise<boolean> {
    // jose compares claims with floor(now / 1000): exp must be later, nbf not later.
    const now = Math.floor(this.o.now() / 1000);
    if (hit.exp <= now || (hit.nbf !== undefined && hit.nbf > now)) return false;
    const current = await this.currentKey(token);
    return current !== undefined && sameKey(current, hit.key);
  }

  /** The key the getter gives for `token` now, as jwtVerify asks it; undefined when it throws. */
  private async currentKey(token: string): Promise<KeyLike | JWK | Uint8Array | undefined> {
    const [protectedHeader = '', payload = '', signature = ''] = token.split('.');
    try {
      // What jwtVerify hands the getter; b64 is true or absent here (else verification failed).
      const header = decodeProtectedHeader(token) as JWTHeaderParameters;
      return await this.o.keyFor(header, {
        protected: protectedHeader,
        payload,
        signature,
      });
    } catch {
      return undefined;
    }
  }
}

/** The same key, or the same key material (a JWKS reload imports its keys afresh). */
function sameKey(a: KeyLike | JWK | Uint8Array, b: KeyLike | JWK | Uint8Array): boolean {
  return a === b || (a instanceof KeyObject && b instanceof KeyObject && a.equals(b));
}
