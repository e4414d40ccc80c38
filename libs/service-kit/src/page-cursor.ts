/**
 * Keyset pages: a list answers `{items, next}`, where `next` is an opaque cursor (the last
 * item's key, JSON in base64url) or null on the last page. No list counts its table.
 */

import type { Page } from '@trx/protocol';

/** What every paged list answers (the one definition is the protocol's). */
export type { Page };

export const PAGE_LIMIT_DEFAULT = 20;
export const PAGE_LIMIT_MAX = 100;

/** The cursor of a key (an array of JSON scalars). */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * The key of a cursor, checked against the expected shape (one `typeof` per element);
 * undefined when it is not one of ours — the caller answers 400.
 */
export function decodeCursor(
  cursor: string,
  shape: readonly ('string' | 'number')[],
): (string | number)[] | undefined {
  if (cursor.length > 400 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(key) || key.length !== shape.length) return undefined;
  const ok = key.every((v, i) => typeof v === shape[i] && (typeof v !== 'number' || Number.isSafeInteger(v)));
  return ok ? (key as (string | number)[]) : undefined;
}

/**
 * A page from `limit + 1` rows read: the first `limit` are the items; the extra row only
 * says there is a next page, whose cursor is the key of the last item.
 */
export function pageOf<R, T>(
  rows: R[],
  limit: number,
  keyOf: (row: R) => (string | number)[],
  view: (row: R) => T,
): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  const next = rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null;
  return { items: items.map(view), next };
}
