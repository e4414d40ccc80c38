import crypto from 'node:crypto';
import { isUuid, randomBytesPooled, uuidv7, uuidv8Of } from '../src';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('when ids are made one after another, then they are version-7 UUIDs that sort in the order they were made', () => {
  const times = [1_700_000_000_000, 1_700_000_000_001, 1_700_000_050_000, 1_800_000_000_000];
  const ids = times.map((ms) => uuidv7(ms));
  for (const id of ids) expect(id).toMatch(UUID_V7);
  expect([...ids].sort()).toEqual(ids);
  expect(ids[0]!.slice(0, 13)).toBe('018bcfe5-6800'); // 1 700 000 000 000 ms = 0x018bcfe56800
});

test('when many ids are made in the same millisecond, then they all differ', () => {
  const ids = new Set(Array.from({ length: 1000 }, () => uuidv7(1_700_000_000_000)));
  expect(ids.size).toBe(1000);
});

test('when a string is a canonical uuid of any version or case, then isUuid accepts it, and nothing else', () => {
  for (const id of [uuidv7(), uuidv8Of('x'), uuidv7().toUpperCase(), '00000000-0000-0000-0000-000000000000'])
    expect(isUuid(id)).toBe(true);
  for (const s of [
    '',
    'abc',
    `${uuidv7()}x`,
    ` ${uuidv7()}`,
    uuidv7().replace(/-/g, ''),
    'g0000000-0000-0000-0000-000000000000',
  ])
    expect(isUuid(s)).toBe(false);
});

test('when random bytes are taken for ids, then they come from a pool filled 4 KiB at a time, never twice the same', () => {
  const fill = jest.spyOn(crypto, 'randomFillSync');
  try {
    const chunks = Array.from({ length: 1000 }, () => randomBytesPooled(10).toString('hex'));
    // 10 000 bytes: the pool was filled three or four times, not once per id.
    expect(fill.mock.calls.length).toBeLessThanOrEqual(4);
    expect(new Set(chunks).size).toBe(1000);
    fill.mockClear();
    for (let i = 0; i < 100; i++) uuidv7();
    expect(fill.mock.calls.length).toBeLessThanOrEqual(1);
  } finally {
    fill.mockRestore();
  }
  // Each caller gets bytes of its own: changing them changes nothing else.
  const a = randomBytesPooled(8);
  const before = Buffer.from(a);
  randomBytesPooled(8).fill(0);
  expect(a.equals(before)).toBe(true);
  expect(randomBytesPooled(5000)).toHaveLength(5000);
});
