// A port that is free for both UDP and TCP on `host`, found by binding port 0 and releasing it,
// for servers (knotd, the bench targets) that cannot be told to pick their own port.
import dgram from 'node:dgram';
import net from 'node:net';

function tryUdp(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, host, () => socket.close(() => resolve(true)));
  });
}

function tcpPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await tcpPort(host);
    if (port > 0 && (await tryUdp(host, port))) return port;
  }
  throw new Error(`no port free for both UDP and TCP on ${host} after 50 attempts`);
}
