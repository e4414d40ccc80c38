import { amountOf, centsFromDecimal, centsOf, decimalOf } from '../src';

describe('money in integer cents', () => {
  it('takes JSON amounts with at most 2 decimals', () => {
    expect(centsOf(10.5)).toBe(1050);
    expect(centsOf(0.1 + 0.2)).toBe(30); // float noise is not a third decimal
    expect(centsOf(120.25)).toBe(12025);
    expect(centsOf(1.234)).toBeUndefined();
    expect(centsOf(Number.NaN)).toBeUndefined();
    expect(centsOf(1e15)).toBeUndefined();
  });

  it('reads numeric(14,2) strings and writes exact literals', () => {
    expect(centsFromDecimal('1000.00')).toBe(100000);
    expect(centsFromDecimal('0.5')).toBe(50);
    expect(centsFromDecimal('-3.07')).toBe(-307);
    expect(decimalOf(12030)).toBe('120.30');
    expect(decimalOf(7)).toBe('0.07');
    expect(amountOf(98875)).toBe(988.75);
  });
});
