#!/usr/bin/env node
// A burst of UDP queries from inside a network namespace, for test/hardening/udp-would-block.test.ts
// (run as `ip netns exec NS node udp-flood.mjs HOST PORT NAME COUNT WINDOW`). Plain JavaScript so
// that it runs under `ip netns exec` without a build. Query i has ID i; at most WINDOW queries are
// unanswered at a time, so the burst fills the server's send path without overflowing its receive
// buffer. Nothing is ever sent twice: a reply lost anywhere stays missing. Prints one JSON line:
// what was sent, answered, missing, and any reply that was not a NOERROR answer to its question.
import dgram from 'node:dgram';

const [host, portText, name, countText, windowText, quietText = '5000'] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
const window = Number(windowText);
/** Give up once no reply has come for this long. */
const quietMs = Number(quietText);
if (!host || !name || !(port > 0) || !(count > 0 && count <= 65_536) || !(window > 0)) {
  process.stderr.write('usage: udp-flood.mjs HOST PORT NAME COUNT WINDOW [QUIET_MS]\n');
  process.exit(2);
}

/** A standard query (RD clear) for NAME/A with the given ID. */
function query(id) {
  const labels = name.split('.').filter(Boolean);
  const qname = Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])), Buffer.from([0])]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(1, 4);
  return Buffer.concat([header, qname, Buffer.from([0, 1, 0, 1])]);
}

const answered = new Uint8Array(count);
let sent = 0;
let replies = 0;
let duplicates = 0;
const bad = [];
const started = Date.now();
let lastReply = Date.now();

const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 4 * 1024 * 1024 });

function sendNext() {
  while (sent < count && sent - replies < window) {
    socket.send(query(sent), port, host);
    sent++;
  }
}

function finish() {
  clearInterval(watchdog);
  socket.close();
  const missing = [];
  for (let i = 0; i < count; i++) if (answered[i] === 0) missing.push(i);
  process.stdout.write(
    `${JSON.stringify({ sent, answered: replies, missing, duplicates, bad: bad.slice(0, 10), ms: Date.now() - started })}\n`,
  );
}

socket.on('message', (msg) => {
  lastReply = Date.now();
  const id = msg.length >= 12 ? msg.readUInt16BE(0) : -1;
  if (id < 0 || id >= count) {
    bad.push({ id, why: 'unknown id' });
    return;
  }
  if (answered[id] !== 0) {
    duplicates++;
    return;
  }
  answered[id] = 1;
  replies++;
  const rcode = msg[3] & 0x0f;
  const qr = (msg[2] & 0x80) !== 0;
  const answers = msg.readUInt16BE(6);
  if (!qr || rcode !== 0 || answers < 1) bad.push({ id, why: `qr=${qr} rcode=${rcode} answers=${answers}` });
  if (replies === count) finish();
  else sendNext();
});

const watchdog = setInterval(() => {
  if (Date.now() - lastReply > quietMs) finish();
}, 100);

socket.bind(0, () => sendNext());
