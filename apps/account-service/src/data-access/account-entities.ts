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
 * The account-service's tables. Money columns are numeric(14,2); node-postgres returns
 * them as strings, which the repository turns into integer cents.
 */
@Entity({ name: 'customers' })
export class CustomerEntity {
  @PrimaryColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'text' })
  name!: string;
}

@Entity({ name: 'accounts' })
@Check('accounts_balance_not_negative', '"balance" >= 0')
export class AccountEntity {
  @PrimaryColumn({ type: 'integer' })
  id!: number;

  @Index('accounts_customer_id_idx')
  @Column({ name: 'customer_id', type: 'integer' })
  customerId!: number;

  @Column({ type: 'numeric', precision: 14, scale: 2 })
  balance!: string;
}

@Entity({ name: 'withdrawals' })
@Check('withdrawals_amount_positive', '"amount" > 0')
export class WithdrawalEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  /** Null for a plain local withdrawal (no distributed transaction). */
  @Index('withdrawals_transaction_id_idx')
  @Column({ name: 'transaction_id', type: 'text', nullable: true })
  transactionId!: string | null;

  @Column({ name: 'account_id', type: 'integer' })
  accountId!: number;

  @Column({ type: 'numeric', precision: 14, scale: 2 })
  amount!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

export const accountEntities = [CustomerEntity, AccountEntity, WithdrawalEntity];
