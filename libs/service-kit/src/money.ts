/**
 * Money on the wire is a JSON number with at most 2 decimals, in the database
 * numeric(14,2), and in between integer cents: no float ever carries a balance.
 */
export const MAX_CENTS = 99_999_999_999_99; // numeric(14,2)

/** Cents of a JSON amount, or undefined when it has more than 2 decimals or is out of range. */
export function centsOf(amount: number): number | undefined {
  if (!Number.isFinite(amount)) return undefined;
  const cents = Math.round(amount * 100);
  // amount * 100 of a 2-decimal number lands within float noise of an integer.
  if (Math.abs(amount * 100 - cents) > 1e-6 || Math.abs(cents) > MAX_CENTS) return undefined;
  return cents;
}

/** Cents of a numeric(14,2) value as node-postgres returns it ("1000.00"). */
export function centsFromDecimal(value: string | number): number {
  const text = typeof value === 'number' ? value.toFixed(2) : value.trim();
  const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(text);
  if (!match) throw new Error(`not a 2-decimal amount: ${text}`);
  const cents = Number(match[2]) * 100 + Number((match[3] ?? '').padEnd(2, '0'));
  return match[1] ? -cents : cents;
}

/** A numeric literal for SQL parameters ("12.30"), exact. */
export function decimalOf(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** The JSON number of an amount in cents. */
export function amountOf(cents: number): number {
  return Number(decimalOf(cents));
}
