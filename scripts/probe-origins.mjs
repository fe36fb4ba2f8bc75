// Many loopback origins for the prober scale runs, on an event loop of their own so their work
// does not delay the prober being measured. Runs as a worker thread (test/hardening/probe-faults:
// its descriptors count in the test's /proc/self/fd) or as a forked child process
// (scripts/probe-scale.mjs: the prober's descriptors and CPU are then its own).
//
// workerData, or PROBE_ORIGINS (JSON) in a child: { addresses: string[] }. Each address gets two
// servers on port 0:
//   hang — accepts, reads and drops what it is sent, never answers;
//   ok   — answers any HTTP request with 200 "ok" and closes; records when each request
//          arrived, per "address path" (the path names the monitor).
// Messages in:  'counts' → { type: 'counts', open, hangAccepted, okAccepted, requests }
//               'arrivals' → { type: 'arrivals', arrivals: { "address path": [ms, ...] } }
//               'close' → closes everything → { type: 'closed' }
// Message out first: { type: 'ready', servers: [{ address, hangPort, okPort }] }.
import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

/** The worker's port, or the same three calls over a child process's IPC channel. */
const channel = parentPort ?? {
  postMessage: (message) => process.send(message),
  on: (event, listener) => process.on(event, listener),
  close: () => process.disconnect(),
};
const config = workerData ?? JSON.parse(process.env.PROBE_ORIGINS ?? '{"addresses":[]}');

const CANNED = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok';
const open = new Set();
const servers = [];
const arrivals = new Map();
let hangAccepted = 0;
let okAccepted = 0;
let requests = 0;

function track(socket) {
  open.add(socket);
  socket.on('error', () => undefined);
  socket.once('close', () => open.delete(socket));
}

function listen(server, address) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve(server.address().port));
  });
}

const ready = [];
for (const address of config.addresses) {
  const hang = net.createServer((socket) => {
    hangAccepted++;
    track(socket);
    socket.resume(); // read and drop, so the client's FIN is seen
  });
  const ok = net.createServer((socket) => {
    okAccepted++;
    track(socket);
    let head = '';
    socket.on('data', (chunk) => {
      if (head.includes('\r\n\r\n')) return;
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      requests++;
      const path = head.slice(0, head.indexOf('\r\n')).split(' ')[1] ?? '';
      const key = `${address} ${path}`;
      let list = arrivals.get(key);
      if (!list) {
        list = [];
        arrivals.set(key, list);
      }
      list.push(performance.now());
      socket.end(CANNED);
    });
  });
  servers.push(hang, ok);
  ready.push({ address, hangPort: await listen(hang, address), okPort: await listen(ok, address) });
}
channel.postMessage({ type: 'ready', servers: ready });

channel.on('message', (message) => {
  if (message === 'counts') {
    channel.postMessage({ type: 'counts', open: open.size, hangAccepted, okAccepted, requests });
  } else if (message === 'arrivals') {
    channel.postMessage({ type: 'arrivals', arrivals: Object.fromEntries(arrivals) });
  } else if (message === 'close') {
    for (const socket of open) socket.destroy();
    let left = servers.length;
    for (const server of servers) {
      server.close(() => {
        if (--left === 0) {
          channel.postMessage({ type: 'closed' });
          channel.close();
        }
      });
    }
  }
});
