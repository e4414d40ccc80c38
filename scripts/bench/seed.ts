import { Client } from 'pg';

/**
 * Products and customers the bench orders from: a block of ids far above what the demo
 * data uses, each product with a huge stock and each customer with one account holding a
 * huge balance. Seeding is idempotent: it resets stock and balance, so runs can repeat.
 */
export interface SeedPlan {
  rows: number;
  firstProductId: number;
  firstCustomerId: number;
  /** Account ids equal customer ids: customer 900001 owns account 900001. */
  firstAccountId: number;
}

export const STOCK = 1_000_000_000;
export const BALANCE = 1_000_000_000;
export const PRICE = 1;

export function seedPlan(rows: number): SeedPlan {
  return { rows, firstProductId: 900_001, firstCustomerId: 900_001, firstAccountId: 900_001 };
}

export async function seedProducts(databaseUrl: string, plan: SeedPlan): Promise<void> {
  await withClient(databaseUrl, (db) =>
    db.query(
      `INSERT INTO products (id, name, stock, price)
       SELECT g, 'bench product ' || g, $3, $4 FROM generate_series($1::int, $2::int) AS g
       ON CONFLICT (id) DO UPDATE SET stock = EXCLUDED.stock, price = EXCLUDED.price`,
      [plan.firstProductId, plan.firstProductId + plan.rows - 1, STOCK, PRICE],
    ),
  );
}

export async function seedAccounts(databaseUrl: string, plan: SeedPlan): Promise<void> {
  await withClient(databaseUrl, async (db) => {
    await db.query(
      `INSERT INTO customers (id, name)
       SELECT g, 'bench customer ' || g FROM generate_series($1::int, $2::int) AS g
       ON CONFLICT (id) DO NOTHING`,
      [plan.firstCustomerId, plan.firstCustomerId + plan.rows - 1],
    );
    await db.query(
      `INSERT INTO accounts (id, customer_id, balance)
       SELECT g, g - $1 + $4, $3 FROM generate_series($1::int, $2::int) AS g
       ON CONFLICT (id) DO UPDATE SET customer_id = EXCLUDED.customer_id, balance = EXCLUDED.balance`,
      [plan.firstAccountId, plan.firstAccountId + plan.rows - 1, BALANCE, plan.firstCustomerId],
    );
  });
}

export async function withClient<T>(databaseUrl: string, work: (db: Client) => Promise<T>): Promise<T> {
  const db = new Client({ connectionString: databaseUrl });
  db.on('error', () => undefined); // a reset fails the pending query instead of crashing the bench
  await db.connect();
  try {
    return await work(db);
  } finally {
    await db.end();
  }
}
