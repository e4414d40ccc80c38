import { InsufficientStockError, UnknownProductError } from './product-errors';
import { amountOf } from '@trx/service-kit';

export interface ProductRecord {
  id: number;
  name: string;
  stock: number;
  priceCents: number;
}

/** What the rules need from storage, bound to one database transaction. */
export interface ProductStore {
  find(productId: number): Promise<ProductRecord | undefined>;
  list(): Promise<ProductRecord[]>;
  /** Takes `quantity` only if the stock covers it (one conditional UPDATE); the product after, or undefined. */
  take(productId: number, quantity: number): Promise<ProductRecord | undefined>;
  recordReservation(reservation: {
    productId: number;
    quantity: number;
    unitPriceCents: number;
    transactionId: string | null;
  }): Promise<void>;
}

export interface ProductView {
  id: number;
  name: string;
  stock: number;
  price: number;
}

export interface ReservationView {
  productId: number;
  quantity: number;
  unitPrice: number;
  total: number;
}

/**
 * Reserves `quantity` of a product at its current price. The stock check and the decrement
 * are one statement, so concurrent reservations can never oversell.
 */
export async function reserve(
  store: ProductStore,
  productId: number,
  quantity: number,
  transactionId: string | null,
): Promise<ReservationView> {
  const product = await store.take(productId, quantity);
  if (!product) {
    const current = await store.find(productId);
    if (!current) throw new UnknownProductError(productId);
    throw new InsufficientStockError(productId, quantity, current.stock);
  }
  await store.recordReservation({ productId, quantity, unitPriceCents: product.priceCents, transactionId });
  return {
    productId,
    quantity,
    unitPrice: amountOf(product.priceCents),
    total: amountOf(product.priceCents * quantity),
  };
}

export async function getProduct(store: ProductStore, productId: number): Promise<ProductView> {
  const product = await store.find(productId);
  if (!product) throw new UnknownProductError(productId);
  return toView(product);
}

export async function listProducts(store: ProductStore): Promise<ProductView[]> {
  return (await store.list()).map(toView);
}

function toView(p: ProductRecord): ProductView {
  return { id: p.id, name: p.name, stock: p.stock, price: amountOf(p.priceCents) };
}
