// A test-side DNS client built on dns-packet (an independent codec), over real UDP and TCP.
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';

export interface QuerySpec {
  name: string;
  type: string;
  id?: number;
  rd?: boolean;
  /** Add an OPT record. */
  edns?: { udpSize?: number; dnssecOk?: boolean; version?: number; ecs?: { ip: string; sourcePrefix: number; scopePrefix?: number } };
  class?: string;
}

export function buildQuery(spec: QuerySpec): Buffer {
  const additionals: dnsPacket.Answer[] = [];
  if (spec.edns) {
    const options: dnsPacket.PacketOpt[] = [];
    if (spec.edns.ecs) {
      options.push({
        code: 'CLIENT_SUBNET',
        family: spec.edns.ecs.ip.includes(':') ? 2 : 1,
        sourcePrefixLength: spec.edns.ecs.sourcePrefix,
        scopePrefixLength: spec.edns.ecs.scopePrefix ?? 0,
        ip: spec.edns.ecs.ip,
      } as unknown as dnsPacket.PacketOpt);
    }
    additionals.push({
      type: 'OPT',
      name: '.',
      udpPayloadSize: spec.edns.udpSize ?? 1232,
      extendedRcode: 0,
      ednsVersion: spec.edns.version ?? 0,
      flags: spec.edns.dnssecOk ? dnsPacket.DNSSEC_OK : 0,
      options,
    } as unknown as dnsPacket.Answer);
  }
  return dnsPacket.encode({
    type: 'query',
    id: spec.id ?? Math.floor(Math.random() * 65535),
    flags: spec.rd === false ? 0 : dnsPacket.RECURSION_DESIRED,
    questions: [{ name: spec.name, type: spec.type as dnsPacket.RecordType, class: (spec.class ?? 'IN') as dnsPacket.RecordClass }],
    additionals,
  });
}

/** dns-packet's decoded shape (its bundled typings leave most of these fields out). */
export interface DecodedRR {
  name: string;
  type: string;
  class: string;
  ttl: number;
  data?: unknown;
  [field: string]: unknown;
}
export interface DecodedReply {
  id: number;
  type: 'query' | 'response';
  flags: number;
  opcode: string;
  rcode: string;
  flag_qr: boolean;
  flag_aa: boolean;
  flag_tc: boolean;
  flag_rd: boolean;
  flag_ra: boolean;
  flag_ad: boolean;
  flag_cd: boolean;
  questions: { name: string; type: string; class: string }[];
  answers: DecodedRR[];
  authorities: DecodedRR[];
  additionals: DecodedRR[];
}

export function decode(buf: Uint8Array): DecodedReply {
  return dnsPacket.decode(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)) as unknown as DecodedReply;
}

/** Send one datagram and wait for one reply (or reject after timeoutMs). */
export function udpExchange(host: string, port: number, packet: Uint8Array, timeoutMs = 2000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no UDP reply from ${host}:${port} within ${timeoutMs}ms`));
    }, timeoutMs);
    socket.once('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(msg);
    });
    socket.send(packet, port, host);
  });
}

/** Resolves true if no reply arrives within waitMs (for "dropped silently" checks). */
export async function udpNoReply(host: string, port: number, packet: Uint8Array, waitMs = 300): Promise<boolean> {
  try {
    await udpExchange(host, port, packet, waitMs);
    return false;
  } catch {
    return true;
  }
}

/** Open a TCP connection, write the given raw bytes (possibly in pieces), read `expect` framed replies. */
export function tcpExchange(
  host: string,
  port: number,
  writes: readonly Uint8Array[],
  expect: number,
  timeoutMs = 3000,
): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const replies: Buffer[] = [];
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`got ${replies.length}/${expect} TCP replies within ${timeoutMs}ms`));
    }, timeoutMs);
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('connect', async () => {
      for (const w of writes) {
        socket.write(w);
        // Let each piece leave as its own segment.
        await new Promise((r) => setImmediate(r));
      }
    });
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        replies.push(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
      }
      if (replies.length >= expect) {
        clearTimeout(timer);
        socket.destroy();
        resolve(replies);
      }
    });
  });
}

export function frame(msg: Uint8Array): Buffer {
  const out = Buffer.alloc(2 + msg.length);
  out.writeUInt16BE(msg.length, 0);
  out.set(msg, 2);
  return out;
}
