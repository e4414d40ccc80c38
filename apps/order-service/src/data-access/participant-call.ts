import type { AxiosRequestConfig, AxiosResponse } from 'axios';
import type { ServiceCaller } from '@trx/discovery';
import {
  BRANCH_HEADER,
  ENLIST_BY_INITIATOR,
  ENLIST_HEADER,
  INITIATOR_HEADER,
  COORDINATOR_CODES,
  TRANSACTION_HEADER,
  type EnlistedBranch,
} from '@trx/protocol';
import {
  OrderRefusedError,
  ParticipantUnavailableError,
  REFUSAL_CODES,
  TransactionRolledBackError,
  UnexpectedAnswerError,
  type RefusalCode,
} from '../domain/order-errors';
import { SERVICE_NAME } from '../config';

export interface ErrorReply {
  error?: string;
  message?: string;
}

/**
 * Calls a participant service and turns every way it can fail into a domain error:
 * unreachable, timed out or 5xx → ParticipantUnavailableError; a business refusal
 * (409/404 with a known code) → OrderRefusedError; `transaction-decided` → the
 * transaction is already rolled back. Other non-2xx answers are bugs (UnexpectedAnswerError).
 */
export async function callParticipant<T>(
  caller: ServiceCaller,
  service: string,
  config: AxiosRequestConfig,
): Promise<AxiosResponse<T | ErrorReply>> {
  let response: AxiosResponse<T | ErrorReply>;
  try {
    response = await caller.request<T | ErrorReply>(service, config);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    const detail = e.code ? `${e.code}: ${e.message}` : String(e.message ?? err);
    throw new ParticipantUnavailableError(service, `${service} could not be reached (${detail})`);
  }
  if (response.status >= 500) {
    const reply = response.data as ErrorReply;
    const reason = reply?.error ? `${reply.error}: ${reply.message ?? ''}` : `status ${response.status}`;
    throw new ParticipantUnavailableError(service, `${service} is unavailable (${reason})`);
  }
  return response;
}

/** Throws the domain error for a non-2xx answer of a participant. */
export function failFromReply(service: string, response: AxiosResponse<unknown>): never {
  const reply = (response.data ?? {}) as ErrorReply;
  const code = reply.error ?? '';
  if (REFUSAL_CODES.includes(code as RefusalCode)) {
    throw new OrderRefusedError(code as RefusalCode, reply.message ?? code);
  }
  if (code === COORDINATOR_CODES.transactionDecided) {
    throw new TransactionRolledBackError(
      `${service}: ${reply.message ?? 'the transaction is already decided'}`,
    );
  }
  throw new UnexpectedAnswerError(service, response.status, response.data);
}

/**
 * Headers of a participant call: with a transaction, the id and the request to hand the
 * prepared branch back for enlisting (order-service enlists it with its commit); without,
 * none (the participant commits locally).
 */
export function branchHeaders(transactionId: string | undefined): Record<string, string> {
  if (!transactionId) return {};
  return {
    [TRANSACTION_HEADER]: transactionId,
    [INITIATOR_HEADER]: SERVICE_NAME,
    [ENLIST_HEADER]: ENLIST_BY_INITIATOR,
  };
}

/**
 * The branch a participant prepared, from its answer. A participant that ignored the
 * enlist request registered itself and sends no gid: nothing to enlist then.
 */
export function enlistedBranch(
  service: string,
  response: AxiosResponse<unknown>,
): EnlistedBranch | undefined {
  const gid = response.headers[BRANCH_HEADER];
  return typeof gid === 'string' && gid.length > 0 ? { service, gid } : undefined;
}

export function isSuccess(response: AxiosResponse<unknown>): boolean {
  return response.status >= 200 && response.status < 300;
}
