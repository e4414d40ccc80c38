/**
 * @trx/product-service as other packages' tests see it: start it in-process with its configuration
 * (main.ts is the process entry point; this is the face for a test that needs a running product-service).
 *
 * @example
 *   import * as app from '@trx/product-service';
 *   const running = await app.start(app.loadAppConfig({}, { port: 0 }));
 */
export { loadAppConfig, SERVICE_NAME, type AppConfig } from './config';
export * from './start';
