// An HTTP origin for fleet tests that fails for some probe sources only: a regional path
// failure, as seen from the sites whose --probe-source addresses are in `failing`. It can also
// answer some sources late (`delays`): a path that is slower from one site than from another.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RegionalBackend {
  readonly port: number;
  /** Source addresses that get 503; every other source gets 200. */
  readonly failing: Set<string>;
  /** Source address → ms to wait before answering (absent: at once). */
  readonly delays: Map<string, number>;
  close(): Promise<void>;
}

export function regionalBackend(address: string): Promise<RegionalBackend> {
  const failing = new Set<string>();
  const delays = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const from = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const reply = (): void => {
      res.statusCode = failing.has(from) ? 503 : 200;
      res.setHeader('connection', 'close');
      res.end();
    };
    const delay = delays.get(from) ?? 0;
    if (delay > 0) setTimeout(reply, delay);
    else reply();
  });
  return new Promise((resolve) => {
    server.listen(0, address, () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        failing,
        delays,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      }),
    );
  });
}
