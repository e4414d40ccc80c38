import { ServiceError } from '@trx/service-kit';

/**
 * The product-service's business refusals, each with its stable HTTP answer. Thrown inside
 * a branch they also roll the branch back and vote no. Check them by `name`.
 */
export abstract class ProductError extends ServiceError {}

export class UnknownProductError extends ProductError {
  override readonly name = 'UnknownProductError';
  readonly code = 'unknown-product';
  readonly httpStatus = 404;
  constructor(readonly productId: number) {
    super(`product ${productId} does not exist`);
  }
}

export class InsufficientStockError extends ProductError {
  override readonly name = 'InsufficientStockError';
  readonly code = 'insufficient-stock';
  readonly httpStatus = 409;
  constructor(
    readonly productId: number,
    readonly requested: number,
    readonly available: number,
  ) {
    super(`product ${productId} has ${available} in stock, ${requested} requested`);
  }

  get details() {
    return { productId: this.productId, requested: this.requested, available: this.available };
  }
}
