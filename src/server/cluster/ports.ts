// "--listen 127.0.0.1:0" in a cluster: node:cluster gives every worker the same socket for the
// same (address, port) request, but a worker that has to retry (UDP got a port whose TCP side
// is taken) would ask again and could land on another port than its siblings. So the primary
// picks the port once — one free for both UDP and TCP — and every worker listens on it.
import dgram from 'node:dgram';
import net from 'node:net';
import { formatHostPort, parseListenAddress, type ListenAddress } from '../../transport/listen-address.js';

/** Each "ADDR:0" of `listen` → "ADDR:PORT" with PORT free for UDP and TCP; others unchanged. */
export async function pickFreePorts(listen: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const text of listen) {
    const addr = parseListenAddress(text);
    out.push(addr.port === 0 ? formatHostPort(addr.host, await freePairPort(addr)) : text);
  }
  return out;
}

async function freePairPort(addr: ListenAddress): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const udp = dgram.createSocket({ type: addr.family === 6 ? 'udp6' : 'udp4', ipv6Only: addr.family === 6 });
    const port = await new Promise<number>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, addr.host, () => resolve(udp.address().port));
    });
    const tcp = net.createServer();
    const ok = await new Promise<boolean>((resolve, reject) => {
      tcp.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' && attempt < 20 ? resolve(false) : reject(err)));
      tcp.listen({ port, host: addr.host, ipv6Only: addr.family === 6 }, () => resolve(true));
    }).catch(async (err: unknown) => {
      await new Promise<void>((done) => udp.close(() => done()));
      throw err;
    });
    await new Promise<void>((done) => udp.close(() => done()));
    if (ok) {
      await new Promise<void>((done) => tcp.close(() => done()));
      return port;
    }
  }
}
