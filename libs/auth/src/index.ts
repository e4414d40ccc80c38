/**
 * @trx/auth — who is calling. Services carry a bearer token of their own; a verifier keeps only
 * the tokens' SHA-256 digests (`TRX_TRUSTED_CALLERS`), so no app holds a credential it could
 * call another app with. Customers carry a JWT, verified with jose against a JWKS or a key.
 *
 * @example
 *   const verifier = new ServiceTokenVerifier(trustedCallersOf({ 'order-service': orderToken }));
 *   verifier.identify(bearerToken(req.headers.authorization) ?? '');   // 'order-service' | undefined
 *
 *   const customers = await createCustomerVerifier({ publicKeyPem, issuer: 'trx', audience: 'trx-orders' });
 *   const customerId = await customers.verify(jwt);                     // or UnauthenticatedError
 */
export * from './errors';
export * from './service-tokens';
export * from './customer-tokens';
