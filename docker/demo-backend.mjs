// A tiny HTTP origin for the compose demo: GET /health answers "ok" (what the demo monitor
// expects), every other path says which backend answered. No dependencies: runs on node:alpine.
import http from 'node:http';

const name = process.env.BACKEND_NAME ?? 'backend';
const host = process.env.BACKEND_HOST ?? '0.0.0.0';
const port = Number(process.env.BACKEND_PORT ?? 8080);

const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  if (req.url === '/health') {
    res.end('ok\n');
    return;
  }
  res.end(`hello from ${name}\n`);
});

server.listen(port, host, () => {
  const address = server.address();
  console.log(`${name} listening on ${address.address}:${address.port}`);
});

// PID 1 in a container gets no default signal handling: exit at once on `docker compose stop`.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
}
