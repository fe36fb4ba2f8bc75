#!/usr/bin/env node
// The "Node I/O floor" for the benchmark: a UDP (and TCP) responder that does no DNS work beyond
// the minimum to be a valid reply. Every query gets the same precomputed A answer; only the ID is
// patched and the question is echoed. steerdns can at best approach this figure on one core.
//
//   node scripts/bare-responder.mjs --host 127.0.0.1 --port 0
// Prints one JSON line {"msg":"listening on HOST:PORT","address","port"} when both sockets are up.
import dgram from 'node:dgram';
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    // Close a TCP connection after this many answers, as steerdns does (0 = never). dnsperf
    // reconnects after a fixed count too; when the server does not close first, dnsperf pauses
    // ~100 ms per reconnection and the TCP "floor" would measure dnsperf, not Node.
    'tcp-max-queries': { type: 'string', default: '1000' },
  },
});
const host = values.host;
const tcpMaxQueries = Number(values['tcp-max-queries']);

const HEADER = 12;
// Header template: QR=1 AA=1, RCODE 0; QDCOUNT=1 ANCOUNT=1 NSCOUNT=0 ARCOUNT=0. Bytes 0-1 (ID) patched.
const HEADER_TEMPLATE = Buffer.from([0, 0, 0x84, 0x00, 0, 1, 0, 1, 0, 0, 0, 0]);
// Answer: name = pointer to the question name (offset 12), A IN, TTL 300, 192.0.2.1.
const ANSWER = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4, 192, 0, 2, 1]);

/** Length of the question (name + type + class) starting at offset 12, or -1 if malformed. */
function questionLength(msg) {
  let i = HEADER;
  while (i < msg.length) {
    const len = msg[i];
    if (len === 0) {
      const end = i + 1 + 4;
      return end <= msg.length ? end - HEADER : -1;
    }
    if (len > 63) return -1; // compression in a query question: not worth handling here
    i += len + 1;
  }
  return -1;
}

function reply(msg) {
  if (msg.length < HEADER + 5) return null;
  const qlen = questionLength(msg);
  if (qlen < 0) return null;
  const out = Buffer.allocUnsafe(HEADER + qlen + ANSWER.length);
  HEADER_TEMPLATE.copy(out, 0);
  out[0] = msg[0];
  out[1] = msg[1];
  msg.copy(out, HEADER, HEADER, HEADER + qlen);
  ANSWER.copy(out, HEADER + qlen);
  return out;
}

const udp = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
udp.on('message', (msg, rinfo) => {
  const out = reply(msg);
  if (out) udp.send(out, rinfo.port, rinfo.address);
});

function serveTcp(socket) {
  let pending = Buffer.alloc(0);
  let answered = 0;
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let offset = 0;
    const replies = [];
    while (pending.length - offset >= 2) {
      const len = pending.readUInt16BE(offset);
      if (pending.length - offset - 2 < len) break;
      const out = reply(pending.subarray(offset + 2, offset + 2 + len));
      if (out) {
        const framed = Buffer.allocUnsafe(2 + out.length);
        framed.writeUInt16BE(out.length, 0);
        out.copy(framed, 2);
        replies.push(framed);
      }
      offset += 2 + len;
      if (tcpMaxQueries > 0 && ++answered >= tcpMaxQueries) break;
    }
    pending = pending.subarray(offset);
    if (replies.length > 0) socket.write(replies.length === 1 ? replies[0] : Buffer.concat(replies));
    if (tcpMaxQueries > 0 && answered >= tcpMaxQueries) {
      socket.end();
      socket.removeAllListeners('data');
    }
  });
}

udp.bind(Number(values.port), host, () => {
  const { port } = udp.address();
  const tcp = net.createServer(serveTcp);
  tcp.on('error', (err) => {
    process.stderr.write(`bare-responder: tcp ${host}:${port}: ${err.message}\n`);
    process.exit(1);
  });
  tcp.listen(port, host, () => {
    process.stdout.write(`${JSON.stringify({ msg: `listening on ${host}:${port}`, address: host, port })}\n`);
  });
});

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
