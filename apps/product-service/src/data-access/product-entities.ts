import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryColumn,
  PrimaryGeneratedColumn,
} from 'typeorm';

/**
 * The product-service's tables. Prices are numeric(14,2); node-postgres returns them as
 * strings, which the repository turns into integer cents.
 */
@Entity({ name: 'products' })
@Check('products_stock_not_negative', '"stock" >= 0')
@Check('products_price_not_negative', '"price" >= 0')
export class ProductEntity {
  @PrimaryColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'integer' })
  stock!: number;

  @Column({ type: 'numeric', precision: 14, scale: 2 })
  price!: string;
}

@Entity({ name: 'reservations' })
@Check('reservations_quantity_positive', '"quantity" > 0')
export class ReservationEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  /** Null for a plain local reservation (no distributed transaction). */
  @Index('reservations_transaction_id_idx')
  @Column({ name: 'transaction_id', type: 'text', nullable: true })
  transactionId!: string | null;

  @Column({ name: 'product_id', type: 'integer' })
  productId!: number;

  @Column({ type: 'integer' })
  quantity!: number;

  @Column({ name: 'unit_price', type: 'numeric', precision: 14, scale: 2 })
  unitPrice!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

export const productEntities = [ProductEntity, ReservationEntity];
