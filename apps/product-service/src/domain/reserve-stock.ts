import { InsufficientStockError, UnknownProductError } from './product-errors';
import { amountOf } from '@trx/service-kit';

export interface ProductRecord {
  id: number;
  name: string;
  stock: number;
  priceCents: number;
}

/** What the rules read from storage. */
export interface ProductStore {
  find(productId: number): Promise<ProductRecord | undefined>;
  list(): Promise<ProductRecord[]>;
}

/**
 * Takes `quantity` only if the stock covers it, and then records the reservation at the
 * product's price, all in one statement that is its transaction's whole work (the request's
 * branch, or a local commit); the product after, or undefined when nothing was taken (and
 * nothing written).
 */
export type TakeStock = (reservation: {
  productId: number;
  quantity: number;
}) => Promise<ProductRecord | undefined>;

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
 * Reserves `quantity` of a product at its current price. The stock check, the decrement and
 * the reservation row are one statement, so concurrent reservations can never oversell. Only
 * a refusal costs a read, to tell an unknown product from too little stock.
 */
export async function reserve(
  take: TakeStock,
  store: ProductStore,
  productId: number,
  quantity: number,
): Promise<ReservationView> {
  const product = await take({ productId, quantity });
  if (!product) {
    const current = await store.find(productId);
    if (!current) throw new UnknownProductError(productId);
    throw new InsufficientStockError(productId, quantity, current.stock);
  }
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
