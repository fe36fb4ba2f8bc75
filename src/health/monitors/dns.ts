// DNS monitor: one UDP query; the reply's rcode must equal the monitor's expected_rcode.
// dns2 builds and parses the message; the socket is our own (connected, so the kernel drops
// datagrams from anyone but the target, and a closed port fails fast with ECONNREFUSED).
import dgram from 'node:dgram';
import net from 'node:net';
import { Packet, type Question } from 'dns2';
import type { ProbeTarget } from '../types.js';
import { type AttemptOutcome, errorReason, fail, onAbort, pass, type ProbeOptions } from './common.js';

const rcodeNames = new Map<number, string>();
for (const [name, code] of Object.entries(Packet.RCODE)) {
  if (!rcodeNames.has(code)) rcodeNames.set(code, name);
}

export function rcodeName(code: number): string {
  return rcodeNames.get(code) ?? `RCODE${code}`;
}

/** "NOERROR", "nxdomain", "3" → the numeric rcode; undefined if unknown. '' means NOERROR. */
export function parseRcode(text: string): number | undefined {
  const t = text.trim().toUpperCase();
  if (t === '') return 0;
  if (/^\d+$/.test(t)) return Number(t) <= 0xfff ? Number(t) : undefined;
  const code = (Packet.RCODE as Record<string, number>)[t];
  return code;
}

/** "A", "aaaa", "TYPE65" → the numeric qtype; undefined if unknown. */
export function parseQtype(text: string): number | undefined {
  const t = text.trim().toUpperCase();
  const known = (Packet.TYPE as Record<string, number>)[t];
  if (known !== undefined) return known;
  const generic = /^TYPE(\d{1,5})$/.exec(t);
  if (generic && Number(generic[1]) <= 0xffff) return Number(generic[1]);
  return undefined;
}

function buildQuery(id: number, name: string, qtype: number): Buffer {
  const query = new Packet();
  query.header.id = id;
  query.header.rd = 1;
  // Packet.toBuffer encodes questions with the static Question.encode, so a plain object will do.
  const question = { name, type: qtype, class: Packet.CLASS.IN } as Question;
  query.questions.push(question);
  return query.toBuffer();
}

/** Checks that a datagram is a well-formed reply to our query; returns a failure reason or its rcode. */
function readReply(message: Buffer, id: number, name: string, qtype: number): number | string {
  let reply: Packet;
  try {
    reply = Packet.parse(message);
  } catch {
    return 'DNS malformed reply';
  }
  if (reply.errors.length > 0) return 'DNS malformed reply';
  if (reply.header.qr !== 1) return 'DNS malformed reply (not a response)';
  if (reply.header.id !== id) return 'DNS reply ID mismatch';
  const question = reply.questions[0];
  if (question !== undefined && (question.type !== qtype || question.name.toLowerCase() !== trimDot(name).toLowerCase())) {
    return 'DNS question mismatch';
  }
  return reply.header.rcode;
}

function trimDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

export function probeDns(target: ProbeTarget, signal: AbortSignal, options: ProbeOptions = {}): Promise<AttemptOutcome> {
  const { monitor } = target;
  const qtype = parseQtype(monitor.query_type || 'A');
  if (qtype === undefined) return Promise.resolve(fail(`DNS unknown query type ${monitor.query_type}`));
  const expected = parseRcode(monitor.expected_rcode);
  if (expected === undefined) return Promise.resolve(fail(`DNS unknown rcode ${monitor.expected_rcode}`));
  const name = monitor.query_name;
  const id = Packet.uuid();
  let query: Buffer;
  try {
    query = buildQuery(id, name, qtype);
  } catch (err) {
    return Promise.resolve(fail(`DNS bad query: ${errorReason(err)}`));
  }

  return new Promise((resolve) => {
    const socket = dgram.createSocket(net.isIPv6(target.address) ? 'udp6' : 'udp4');
    let settled = false;
    const finish = (outcome: AttemptOutcome): void => {
      if (settled) return;
      settled = true;
      detach();
      try {
        socket.close();
      } catch {
        // already closed
      }
      resolve(outcome);
    };
    const detach = onAbort(signal, () => finish(fail('aborted')));
    socket.on('error', (err) => finish(fail(errorReason(err))));
    socket.on('message', (message) => {
      const verdict = readReply(message, id, name, qtype);
      if (typeof verdict === 'string') finish(fail(verdict));
      else if (verdict === expected) finish(pass(`DNS ${rcodeName(verdict)}`));
      else finish(fail(`DNS rcode ${rcodeName(verdict)} (expected ${rcodeName(expected)})`));
    });
    const connect = (): void => {
      if (settled) return;
      socket.connect(target.port, target.address, () => {
        if (settled) return;
        socket.send(query, (err) => {
          if (err) finish(fail(errorReason(err)));
        });
      });
    };
    if (options.localAddress === undefined) connect();
    else socket.bind({ address: options.localAddress, port: 0 }, connect);
  });
}
