import { ServiceHarness, startTestCoordinator, type HarnessedApp } from '@trx/test-support';
import * as transactionServer from '@trx/transaction-server';
import { loadAppConfig, SERVICE_NAME, type AppConfig } from '../src/config';
import { start } from '../src/start';

export { call } from '@trx/test-support';

type App = Awaited<ReturnType<typeof start>>;

const productService: HarnessedApp<AppConfig, App> = { service: SERVICE_NAME, loadAppConfig, start };

/**
 * The product-service against databases and an exchange of this test file only, with the
 * real transaction-server in-process as its coordinator.
 */
export class ProductHarness extends ServiceHarness<AppConfig, App> {
  static async start(): Promise<ProductHarness> {
    return new ProductHarness(productService, await startTestCoordinator('trx_product', transactionServer));
  }

  async stockOf(productId: number): Promise<number> {
    return (await this.sql<{ stock: number }>('SELECT stock FROM products WHERE id = $1', [productId]))[0]!
      .stock;
  }
}
