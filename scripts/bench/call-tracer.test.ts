import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CallTracer, route } from './call-tracer';

describe('call tracer', () => {
  it('names a call by its route, ids replaced', () => {
    expect(route('/v1/transactions/1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed/branches?x=1')).toBe(
      '/v1/transactions/:id/branches',
    );
    expect(route('/products/900001/reservations')).toBe('/products/:id/reservations');
  });

  it('forwards calls to the service and counts them per order', async () => {
    const service = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}'));
    });
    await new Promise<void>((r) => service.listen(0, '127.0.0.1', r));
    const tracer = new CallTracer();
    await tracer.start({ 'product-service': `http://127.0.0.1:${(service.address() as AddressInfo).port}` });
    try {
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${tracer.proxies['product-service']}/products/${i + 1}/reservations`, {
          method: 'POST',
          body: '{"quantity":1}',
        });
        expect(await res.json()).toEqual({ ok: true });
      }
      const [row] = tracer.rows(2);
      expect(row).toMatchObject({
        call: 'product-service POST /products/:id/reservations 201',
        count: 4,
        perOrder: 2,
      });
    } finally {
      await tracer.stop();
      service.close();
    }
  });
});
