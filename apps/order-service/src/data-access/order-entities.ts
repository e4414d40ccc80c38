/**
 * TypeORM entities of the order database. The schema itself is owned by the migrations;
 * these map rows for repositories. Money columns are numeric(14,2), read back as strings.
 */
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'orders' })
export class OrderEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') status!: string;
  @Column('integer', { name: 'customer_id' }) customerId!: number;
  @Column('integer', { name: 'product_id' }) productId!: number;
  @Column('integer') quantity!: number;
  @Column('numeric', { name: 'unit_price', precision: 14, scale: 2, nullable: true })
  unitPrice!: string | null;
  @Column('numeric', { precision: 14, scale: 2, nullable: true }) total!: string | null;
  @Column('uuid', { name: 'transaction_id', nullable: true }) transactionId!: string | null;
  @Column('text', { nullable: true }) reason!: string | null;
  @Column('text', { name: 'idempotency_key', nullable: true }) idempotencyKey!: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}

/** An event to publish once its transaction committed (written in the same branch as the order). */
@Entity({ name: 'outbox' })
export class OutboxEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('text', { name: 'routing_key' }) routingKey!: string;
  @Column('jsonb') body!: Record<string, unknown>;
  @Column('uuid', { name: 'transaction_id', nullable: true }) transactionId!: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'published_at', nullable: true }) publishedAt!: Date | null;
}

/** One row per Idempotency-Key: in progress, or done with the answer given. */
@Entity({ name: 'idempotency_keys' })
export class IdempotencyKeyEntity {
  @PrimaryColumn('text') key!: string;
  @Column('text') fingerprint!: string;
  @Column('text') state!: string;
  @Column('integer', { name: 'response_status', nullable: true }) responseStatus!: number | null;
  @Column('jsonb', { name: 'response_body', nullable: true }) responseBody!: unknown;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}

export const orderEntities = [OrderEntity, OutboxEntity, IdempotencyKeyEntity];
