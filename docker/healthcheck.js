/* global process, fetch, AbortSignal */
// Health probe for the trx images (the node slim images have no curl): `node healthcheck.js [path]`.
// Exits 0 when GET http://127.0.0.1:$PORT<path> answers 2xx within 2 s; path defaults to
// /health/live. PORT falls back to the default port of the app named by $APP.
const DEFAULT_PORTS = {
  'transaction-server': 8888,
  'order-service': 8080,
  'account-service': 8081,
  'product-service': 8082,
};

const port = process.env.PORT || DEFAULT_PORTS[process.env.APP || ''];
const path = process.argv[2] || '/health/live';

fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) }).then(
  (res) => process.exit(res.ok ? 0 : 1),
  () => process.exit(1),
);
