// An HTTP health endpoint that answers 200 "ok" after a settable delay, so tests can make one
// origin's probe round-trip time differ from another's (dynamic steering).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DelayedHttp {
  readonly host: string;
  readonly port: number;
  setDelay(ms: number): void;
  close(): Promise<void>;
}

export async function delayedHttp(host: string, delayMs: number): Promise<DelayedHttp> {
  let delay = delayMs;
  const server = http.createServer((_req, res) => {
    setTimeout(() => {
      res.setHeader('connection', 'close');
      res.end('ok');
    }, delay);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  return {
    host,
    port: (server.address() as AddressInfo).port,
    setDelay: (ms) => {
      delay = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
