import { describeConfig, key, loadConfig, requiredKey, z } from '../src';

const spec = {
  token: requiredKey(z.string().min(32), 'TRX_SERVICE_TOKEN', "the app's own token", { secret: true }),
  port: key(z.coerce.number().int(), 'PORT', 8080, 'HTTP port'),
};

test('a credential has no default: unset, the configuration fails naming the variable', () => {
  expect(() => loadConfig(spec, {})).toThrow(/TRX_SERVICE_TOKEN: is required/);
  expect(() => loadConfig(spec, { TRX_SERVICE_TOKEN: '' })).toThrow(/TRX_SERVICE_TOKEN: is required/);
  expect(loadConfig(spec, { TRX_SERVICE_TOKEN: 'x'.repeat(32) })).toEqual({
    token: 'x'.repeat(32),
    port: 8080,
  });
  expect(loadConfig(spec, {}, { token: 'y'.repeat(32) }).token).toBe('y'.repeat(32));
});

test('the configuration table says required, never a value', () => {
  expect(describeConfig(spec)[0]).toEqual({
    env: 'TRX_SERVICE_TOKEN',
    default: '(required)',
    description: "the app's own token",
  });
});

test('a configuration error does not repeat a secret it was given', () => {
  let message = '';
  try {
    loadConfig(spec, { TRX_SERVICE_TOKEN: 'short-secret-value' });
  } catch (err) {
    message = (err as Error).message;
  }
  expect(message).toMatch(/TRX_SERVICE_TOKEN/);
  expect(message).not.toContain('short-secret-value');
});
