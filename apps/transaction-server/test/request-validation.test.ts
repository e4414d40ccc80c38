import { compatCreateSchema, compatParticipantSchema } from '../src/compat/compat-schemas';
import {
  beginSchema,
  listQuerySchema,
  outcomeSchema,
  parse,
  registerBranchSchema,
} from '../src/entry-points/http/schemas';

const reject = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err as { name: string; code: string; httpStatus: number; details: { path: string }[] };
  }
  throw new Error('expected a validation error');
};

test('a begin request takes an optional positive timeout and initiator, nothing else', () => {
  expect(parse(beginSchema, undefined, 'begin')).toEqual({});
  expect(parse(beginSchema, { timeoutMs: 1000, initiator: 'order-service' }, 'begin')).toEqual({
    timeoutMs: 1000,
    initiator: 'order-service',
  });
  expect(reject(() => parse(beginSchema, { timeoutMs: 0 }, 'begin'))).toMatchObject({
    code: 'invalid-request',
    httpStatus: 400,
  });
  expect(reject(() => parse(beginSchema, { timeout: 5 }, 'begin')).details[0]!.path).toBe('');
});

test('a branch needs a service name fit for a gid, an instance and a gid of at most 200 characters', () => {
  const ok = { service: 'account-service', instance: 'a-1', gid: 'trx:account-service:x:y', vote: 'yes' };
  expect(parse(registerBranchSchema, ok, 'branch')).toEqual(ok);
  expect(
    reject(() => parse(registerBranchSchema, { ...ok, service: 'Account Service' }, 'branch')).details[0]!
      .path,
  ).toBe('service');
  expect(
    reject(() => parse(registerBranchSchema, { ...ok, gid: 'x'.repeat(201) }, 'branch')).details[0]!.path,
  ).toBe('gid');
  expect(reject(() => parse(registerBranchSchema, { ...ok, vote: 'maybe' }, 'branch')).details[0]!.path).toBe(
    'vote',
  );
});

test('an outcome is committed or rolled-back', () => {
  expect(parse(outcomeSchema, { outcome: 'committed' }, 'outcome')).toEqual({ outcome: 'committed' });
  expect(reject(() => parse(outcomeSchema, { outcome: 'done' }, 'outcome')).httpStatus).toBe(400);
});

test('list paging is bounded, takes a cursor and no offset, and the status filter must be a known status', () => {
  expect(parse(listQuerySchema, { limit: '10', cursor: 'abc', status: 'active' }, 'query')).toEqual({
    limit: 10,
    cursor: 'abc',
    status: 'active',
  });
  expect(reject(() => parse(listQuerySchema, { limit: '101' }, 'query')).httpStatus).toBe(400);
  expect(reject(() => parse(listQuerySchema, { offset: '20' }, 'query')).httpStatus).toBe(400);
});

test("the Spring sample's bodies are accepted as its clients send them", () => {
  expect(parse(compatCreateSchema, { id: null, status: 'NEW', participants: [] }, 'tx')).toEqual({
    id: null,
    status: 'NEW',
    participants: [],
  });
  expect(parse(compatParticipantSchema, { serviceId: 'account-service', status: 'NEW' }, 'p')).toEqual({
    serviceId: 'account-service',
    status: 'NEW',
  });
  expect(reject(() => parse(compatCreateSchema, { id: 'x', status: 'NEW' }, 'tx')).httpStatus).toBe(400);
  expect(
    reject(() => parse(compatParticipantSchema, { serviceId: 'a', status: 'CONFIRM' }, 'p')).httpStatus,
  ).toBe(400);
});
