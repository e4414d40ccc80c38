import type { AxiosRequestConfig, AxiosResponse } from 'axios';
import type { ServiceCaller } from '@trx/discovery';
import type {
  BranchView,
  CoordinatorApi,
  ErrorBody,
  ListTransactionsResponse,
  OutcomeBatchResponse,
  TransactionStatus,
  TransactionView,
} from '@trx/protocol';
import {
  CoordinatorUnavailableError,
  CoordinatorRejectedRequestError,
  TransactionConflictError,
  TransactionNotFoundError,
} from './errors';

export interface CoordinatorClientOptions {
  caller: ServiceCaller;
  /** Discovery name of the coordinator. Default `transaction-server`. */
  service?: string;
}

/** The HTTP CoordinatorApi: every non-2xx answer becomes one of the typed errors. */
export function createCoordinatorClient(options: CoordinatorClientOptions): CoordinatorApi {
  const service = options.service ?? 'transaction-server';

  /**
   * Every call may go to another replica after a timeout: each is idempotent (a decision, a
   * registration or an acknowledgement sent twice is answered the same), except begin, where
   * a duplicate is harmless — a transaction nobody uses has no branches and times out.
   */
  async function call<T>(operation: string, transactionId: string, config: AxiosRequestConfig): Promise<T> {
    let res: AxiosResponse<unknown>;
    try {
      res = await options.caller.request<unknown>(service, config, { retryOnTimeout: true });
    } catch (err) {
      throw new CoordinatorUnavailableError(
        operation,
        undefined,
        `${operation}: the coordinator did not answer (${(err as Error).message})`,
        err,
      );
    }
    if (res.status >= 200 && res.status < 300) return res.data as T;
    throw toError(operation, transactionId, res.status, res.data);
  }

  const tx = (id: string) => `/v1/transactions/${encodeURIComponent(id)}`;
  const branch = (id: string, branchId: string) => `${tx(id)}/branches/${encodeURIComponent(branchId)}`;

  return {
    begin: (request = {}) => call('begin', '', { method: 'POST', url: '/v1/transactions', data: request }),
    get: (id) => call('get', id, { method: 'GET', url: tx(id) }),
    resolve: (id, request) =>
      call<TransactionView>('resolve', id, { method: 'POST', url: `${tx(id)}/resolve`, data: request }),
    list: (query = {}) =>
      call<ListTransactionsResponse>('list', '', { method: 'GET', url: '/v1/transactions', params: query }),
    registerBranch: (id, request) =>
      call<BranchView>('register-branch', id, { method: 'POST', url: `${tx(id)}/branches`, data: request }),
    vote: (id, branchId, request) =>
      call<BranchView>('vote', id, { method: 'PUT', url: `${branch(id, branchId)}/vote`, data: request }),
    recordOutcome: (id, branchId, request) =>
      call<BranchView>('record-outcome', id, {
        method: 'PUT',
        url: `${branch(id, branchId)}/outcome`,
        data: request,
      }),
    recordOutcomes: (request) =>
      call<OutcomeBatchResponse>('record-outcomes', '', {
        method: 'POST',
        url: '/v1/outcomes',
        data: request,
      }),
    commit: (id, request = {}) =>
      call<TransactionView>('commit', id, { method: 'POST', url: `${tx(id)}/commit`, data: request }),
    rollback: (id, reason, branches) =>
      call<TransactionView>('rollback', id, {
        method: 'POST',
        url: `${tx(id)}/rollback`,
        data: { ...(reason ? { reason } : {}), ...(branches?.length ? { branches } : {}) },
      }),
  };
}

function toError(operation: string, transactionId: string, httpStatus: number, data: unknown): Error {
  const body = (data && typeof data === 'object' ? data : {}) as Partial<ErrorBody>;
  const message = body.message ?? `${operation}: the coordinator answered ${httpStatus}`;
  if (httpStatus === 404) return new TransactionNotFoundError(transactionId, body.error, message);
  if (httpStatus === 409) {
    const details = body.details as { transaction?: TransactionView } | TransactionView | undefined;
    const transaction =
      details && 'transaction' in details ? details.transaction : (details as TransactionView | undefined);
    return new TransactionConflictError(
      transactionId,
      body.error ?? 'conflict',
      body.status as TransactionStatus | undefined,
      message,
      transaction && typeof transaction === 'object' && 'id' in transaction ? transaction : undefined,
    );
  }
  if (httpStatus === 400 || httpStatus === 422)
    return new CoordinatorRejectedRequestError(operation, message, body.details);
  if (httpStatus >= 500 || httpStatus === 429 || httpStatus === 408)
    return new CoordinatorUnavailableError(operation, httpStatus, message);
  return new CoordinatorRejectedRequestError(operation, message, body.details);
}
