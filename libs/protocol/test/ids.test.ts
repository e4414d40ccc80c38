import { isUuid, uuidv7, uuidv8Of } from '../src';

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
