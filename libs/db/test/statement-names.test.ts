import { StatementNames, isStalePlan } from '../src';

describe('StatementNames', () => {
  it('names a text from its second use on, and keeps the name', () => {
    const names = new StatementNames();
    expect(names.nameFor('SELECT $1')).toBeUndefined();
    const name = names.nameFor('SELECT $1');
    expect(name).toMatch(/^trx_\d+$/);
    expect(names.nameFor('SELECT $1')).toBe(name);
    expect(names.nameFor('SELECT $2')).toBeUndefined();
  });

  it('issues at most maxNamed names, counting forgotten ones', () => {
    const names = new StatementNames(2);
    for (const text of ['a', 'a', 'b', 'b']) names.nameFor(text);
    names.forget('a');
    names.nameFor('c');
    expect(names.nameFor('c')).toBeUndefined(); // two issued already
    expect(names.nameFor('a')).toBeUndefined(); // forgotten, and no name left
    expect(names.nameFor('b')).toMatch(/^trx_/);
  });

  it('keeps at most maxSeen texts waiting for their second use', () => {
    const names = new StatementNames(64, 2);
    names.nameFor('a');
    names.nameFor('b');
    names.nameFor('c'); // full: the count starts over with c
    expect(names.nameFor('a')).toBeUndefined();
    expect(names.nameFor('c')).toMatch(/^trx_/);
  });

  it('gives a forgotten text a new name at its next uses', () => {
    const names = new StatementNames();
    names.nameFor('x');
    const first = names.nameFor('x');
    names.forget('x');
    names.nameFor('x');
    const second = names.nameFor('x');
    expect(second).toMatch(/^trx_/);
    expect(second).not.toBe(first);
  });

  it('tells a stale plan from other errors', () => {
    expect(isStalePlan({ code: '0A000', message: 'cached plan must not change result type' })).toBe(true);
    expect(isStalePlan({ code: '0A000', message: 'something else' })).toBe(false);
    expect(isStalePlan({ code: '23505', message: 'cached plan' })).toBe(false);
    expect(isStalePlan(undefined)).toBe(false);
  });
});
