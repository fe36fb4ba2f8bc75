// A real webhook receiver on loopback: records every request, and can answer 200, fail with
// 500, or hang (accept the request and never answer) like a dead receiver would.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedHook {
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly received: ReceivedHook[];
  /** Requests seen, including those answered with 500 or left hanging. */
  attempts(): number;
  mode: 'ok' | 'fail' | 'hang';
  close(): Promise<void>;
}

export async function webhookReceiver(host = '127.0.0.1', path = '/hook'): Promise<WebhookReceiver> {
  const received: ReceivedHook[] = [];
  let attempts = 0;
  const state = { mode: 'ok' as WebhookReceiver['mode'] };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      attempts++;
      if (state.mode === 'hang') return;
      if (state.mode === 'fail') {
        res.statusCode = 500;
        res.end('no');
        return;
      }
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      res.end('ok');
    });
  });
  const port = await new Promise<number>((resolve) => server.listen(0, host, () => resolve((server.address() as AddressInfo).port)));
  return {
    url: `http://${host}:${port}${path}`,
    received,
    attempts: () => attempts,
    get mode() {
      return state.mode;
    },
    set mode(m) {
      state.mode = m;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
