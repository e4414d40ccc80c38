import {
  generateCustomerKeyPair,
  generateToken,
  signCustomerToken,
  tokenDigest,
  type Identity,
} from '@trx/auth';

export const CUSTOMER_ISSUER = 'trx';
export const CUSTOMER_AUDIENCE = 'trx-orders';

/**
 * The credentials of one test file's apps, made fresh: a service token per identity (on first
 * use), the digests an app trusts, and a customer signing key. `trusted()` returns a live map:
 * an identity a test adds after an app started is trusted from then on, the way a rotated
 * secret is once the app's configuration lists it.
 */
export class TestCredentials {
  private readonly tokens = new Map<Identity, string>();
  private readonly live = new Map<string, Identity>();
  readonly customerKeys = generateCustomerKeyPair();

  token(identity: Identity): string {
    let token = this.tokens.get(identity);
    if (!token) {
      token = generateToken();
      this.tokens.set(identity, token);
      this.live.set(tokenDigest(token), identity);
    }
    return token;
  }

  /** `Authorization` header value of `identity`. */
  bearer(identity: Identity): string {
    return `Bearer ${this.token(identity)}`;
  }

  /** Digest → identity of every identity made so far and every one made later (for TRX_TRUSTED_CALLERS overrides). */
  trusted(): Map<string, Identity> {
    return this.live;
  }

  /** Digest → identity of exactly these identities (an app that trusts only them). */
  trustedOnly(...identities: Identity[]): Map<string, Identity> {
    return new Map(identities.map((identity) => [tokenDigest(this.token(identity)), identity]));
  }

  /** TRX_TRUSTED_CALLERS text for a child process. */
  trustedCallersEnv(...identities: Identity[]): string {
    return identities.map((identity) => `${identity}:${tokenDigest(this.token(identity))}`).join(',');
  }

  /** A customer's bearer JWT, signed with this file's customer key. */
  async customerToken(customerId: number, ttlSeconds = 3600): Promise<string> {
    return signCustomerToken({
      privateKeyPem: this.customerKeys.privateKeyPem,
      customerId,
      issuer: CUSTOMER_ISSUER,
      audience: CUSTOMER_AUDIENCE,
      ttlSeconds,
    });
  }
}
