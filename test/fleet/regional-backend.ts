// An HTTP origin for fleet tests that fails for some probe sources only: a regional path
// failure, as seen from the sites whose --probe-source addresses are in `failing`.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RegionalBackend {
  readonly port: number;
  /** Source addresses that get 503; every other source gets 200. */
  readonly failing: Set<string>;
  close(): Promise<void>;
}

export function regionalBackend(address: string): Promise<RegionalBackend> {
  const failing = new Set<string>();
  const server = http.createServer((req, res) => {
    const from = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    res.statusCode = failing.has(from) ? 503 : 200;
    res.setHeader('connection', 'close');
    res.end();
  });
  return new Promise((resolve) => {
    server.listen(0, address, () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        failing,
        close: () => new Promise<void>((r) => server.close(() => r())),
      }),
    );
  });
}
