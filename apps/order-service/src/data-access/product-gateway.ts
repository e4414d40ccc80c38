import type { ServiceCaller } from '@trx/discovery';
import type { ProductGateway } from '../domain/ports';
import type { Reservation } from '../domain/order-types';
import { branchHeaders, callParticipant, enlistedBranch, failFromReply, isSuccess } from './participant-call';

export const PRODUCT_SERVICE = 'product-service';

interface ReservationReply {
  productId: number;
  quantity: number;
  unitPrice: number;
  total: number;
}

/** product-service over HTTP: a reservation is a branch of the order's transaction. */
export class HttpProductGateway implements ProductGateway {
  constructor(private readonly caller: ServiceCaller) {}

  async reserve(
    transactionId: string | undefined,
    productId: number,
    quantity: number,
  ): Promise<Reservation> {
    const response = await callParticipant<ReservationReply>(this.caller, PRODUCT_SERVICE, {
      method: 'POST',
      url: `/products/${productId}/reservations`,
      data: { quantity },
      headers: branchHeaders(transactionId),
    });
    if (!isSuccess(response)) failFromReply(PRODUCT_SERVICE, response);
    const reply = response.data as ReservationReply;
    return {
      unitPrice: Number(reply.unitPrice),
      total: Number(reply.total),
      branch: enlistedBranch(PRODUCT_SERVICE, response),
    };
  }
}
