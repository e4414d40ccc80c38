import { decodeCursor, encodeCursor, pageOf } from '../src';

test('a cursor is the key in base64url and decodes back only in its own shape', () => {
  const cursor = encodeCursor(['2026-12-01T19:00:00.000Z', 'a1']);
  expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
  expect(decodeCursor(cursor, ['string', 'string'])).toEqual(['2026-12-01T19:00:00.000Z', 'a1']);
  expect(decodeCursor(cursor, ['number'])).toBeUndefined();
  expect(decodeCursor(encodeCursor([7]), ['number'])).toEqual([7]);
  expect(decodeCursor(encodeCursor([1.5]), ['number'])).toBeUndefined();
  for (const bad of [
    '',
    'not json',
    '%%%',
    'e30',
    'x'.repeat(401),
    Buffer.from('{"a":1}').toString('base64url'),
  ]) {
    expect(decodeCursor(bad, ['string'])).toBeUndefined();
  }
});

test('a page shows `limit` rows and a next cursor only when one more row was read', () => {
  const rows = [1, 2, 3];
  expect(
    pageOf(
      rows,
      2,
      (r) => [r],
      (r) => r * 10,
    ),
  ).toEqual({ items: [10, 20], next: encodeCursor([2]) });
  expect(
    pageOf(
      rows,
      3,
      (r) => [r],
      (r) => r,
    ),
  ).toEqual({ items: [1, 2, 3], next: null });
  expect(
    pageOf(
      [],
      3,
      (r: number) => [r],
      (r) => r,
    ),
  ).toEqual({ items: [], next: null });
});
