import {
  bearerToken,
  generateToken,
  parseTrustedCallers,
  ServiceTokenVerifier,
  tokenDigest,
  trustedCallersOf,
} from '../src';

test('a verifier knows a caller by the digest of its token and holds no token itself', () => {
  const order = generateToken();
  const trusted = trustedCallersOf({ 'order-service': order });
  expect(trusted).toBe(`order-service:${tokenDigest(order)}`);
  expect(trusted).not.toContain(order);
  const verifier = new ServiceTokenVerifier(trusted);
  expect(verifier.identify(order)).toBe('order-service');
  expect(verifier.identify(generateToken())).toBeUndefined();
  expect(verifier.identify('short')).toBeUndefined();
});

test('a digest is the hex SHA-256 of the token as UTF-8, what sha256sum gives a chart', () => {
  expect(tokenDigest('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  expect(tokenDigest('\u00e9')).toBe('4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c');
});

test('while a token is rotated, the old and the new one are both valid for the same identity', () => {
  const [old, next] = [generateToken(), generateToken()];
  const verifier = new ServiceTokenVerifier(
    trustedCallersOf({ 'order-service': [old, next], operator: generateToken() }),
  );
  expect(verifier.identify(old)).toBe('order-service');
  expect(verifier.identify(next)).toBe('order-service');
  expect(verifier.identities().sort()).toEqual(['operator', 'order-service']);
});

test('TRX_TRUSTED_CALLERS that is not identity:sha256hex is refused at start, naming the entry', () => {
  for (const bad of [
    'order-service',
    'order-service:abc',
    `Order Service:${'0'.repeat(64)}`,
    `:${'0'.repeat(64)}`,
  ]) {
    expect(() => parseTrustedCallers(bad)).toThrow(/expected identity:<64 hex digits/);
  }
  // Upper-case hex and blanks around entries are fine: digests compare lower-case.
  expect([...parseTrustedCallers(` svc:${'AB'.repeat(32)} , `).entries()]).toEqual([
    ['ab'.repeat(32), 'svc'],
  ]);
});

test('only a Bearer authorization carries a token', () => {
  expect(bearerToken('Bearer abc.def-ghi_jkl')).toBe('abc.def-ghi_jkl');
  expect(bearerToken('bearer  xyz ')).toBe('xyz');
  expect(bearerToken('Basic dXNlcjpwdw==')).toBeUndefined();
  expect(bearerToken('Bearer a b')).toBeUndefined();
  expect(bearerToken(undefined)).toBeUndefined();
});
