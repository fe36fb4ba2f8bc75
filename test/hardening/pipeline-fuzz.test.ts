// The whole query path (decode, checks, zone and load-balancer lookup, ECS, encode, fit) under
// damaged queries: it never throws, drops only what must be dropped, and every reply is a
// readable DNS response that echoes the ID and fits the transport's limit. `npm run soak` does
// the same at scale over real sockets; this is its in-process, reproducible counterpart.
import { clientIpOf } from '../../src/net/client-ip.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { silentLogger } from '../../src/server/logger.js';
import { parseClientIpInto as parseIpInto } from '../../src/net/ip.js';
import { buildQuery } from '../support/dns-client.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/conformance');

let dir: string;
let server: RunningServer;
beforeAll(async () => {
  // The conformance zones plus a load-balanced zone, so steering and ECS scopes are on the path.
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-pfuzz-'));
  for (const f of fs.readdirSync(fixtures)) fs.copyFileSync(path.join(fixtures, f), path.join(dir, f));
  fs.writeFileSync(path.join(dir, 'lb.test.zone'), '$TTL 300\n@ IN SOA ns hostmaster 1 3600 600 86400 60\n  IN NS ns\nns IN A 192.0.2.1\n');
  fs.writeFileSync(
    path.join(dir, 'lb.test.lb.yaml'),
    [
      'pools:',
      '  a: { origins: [{ name: a1, address: 192.0.2.11 }, { name: a2, address: "2001:db8::11" }] }',
      '  b: { origin_steering: { policy: hash }, origins: [{ name: b1, address: 192.0.2.21 }, { name: b2, address: 192.0.2.22 }] }',
      'load_balancers:',
      '  www: { default_pools: [a, b], steering_policy: random }',
      '  sticky: { default_pools: [b] }',
      '',
    ].join('\n'),
  );
  server = await startServer({ zonesDir: dir, listen: ['127.0.0.1:0'], geoip: null, logger: silentLogger(), watch: false, probe: false });
});
afterAll(async () => {
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const names = [
  'www.example.com',
  'WwW.ExAmPlE.CoM',
  'alias.example.com',
  'loop1.example.com',
  'x.w.example.com',
  'host.sub.example.com',
  'big.example.com',
  'huge.huge.example.net',
  'nope.example.com',
  'www.lb.test',
  'sticky.lb.test',
  'example.org',
  '.',
];
const types = ['A', 'AAAA', 'TXT', 'MX', 'ANY', 'SOA', 'NS', 'CNAME', 'SRV', 'AXFR', 'IXFR', 'OPT', 'CAA', 'HINFO'];

const query = fc
  .record({
    name: fc.constantFrom(...names),
    type: fc.constantFrom(...types),
    id: fc.integer({ min: 0, max: 0xffff }),
    rd: fc.boolean(),
    cls: fc.constantFrom('IN', 'IN', 'IN', 'CH', 'ANY'),
    edns: fc.option(
      fc.record({
        udpSize: fc.constantFrom(0, 512, 1232, 4096, 65535),
        dnssecOk: fc.boolean(),
        version: fc.constantFrom(0, 0, 1),
        ecs: fc.option(
          fc.oneof(
            fc.record({ ip: fc.ipV4(), sourcePrefix: fc.integer({ min: 0, max: 32 }) }),
            fc.record({ ip: fc.ipV6(), sourcePrefix: fc.integer({ min: 0, max: 128 }) }),
          ),
          { nil: undefined },
        ),
      }),
      { nil: undefined },
    ),
  })
  .map((q) => {
    // Clear the bits past the prefix, as a well-behaved resolver does (mutations may undo it).
    const ecs = q.edns?.ecs ? { ...q.edns.ecs, ip: maskIp(q.edns.ecs.ip, q.edns.ecs.sourcePrefix) } : undefined;
    return {
      type: q.type,
      packet: buildQuery({ name: q.name, type: q.type, id: q.id, rd: q.rd, class: q.cls, ...(q.edns ? { edns: { ...q.edns, ecs } } : {}) }),
    };
  });

function maskIp(ip: string, bits: number): string {
  const bytes = new Uint8Array(16);
  const family = parseIpInto(ip, bytes);
  const n = family === 4 ? 4 : 16;
  for (let i = 0; i < n; i++) bytes[i] = bytes[i]! & (0xff << (8 - Math.max(0, Math.min(8, bits - 8 * i)))) & 0xff;
  if (family === 4) return Array.from(bytes.subarray(0, 4)).join('.');
  return Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16)).join(':');
}

const mutation = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('pointer' as const), at: fc.nat(), target: fc.integer({ min: 0, max: 0x3fff }) }),
  fc.record({ op: fc.constant('loop' as const) }),
  fc.record({ op: fc.constant('count' as const), which: fc.integer({ min: 0, max: 3 }), value: fc.constantFrom(0, 2, 0xffff) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 24 }) }),
  fc.record({ op: fc.constant('longLabel' as const), length: fc.integer({ min: 62, max: 65 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(buf: Buffer, m: Mutation): Buffer {
  const out = Buffer.from(buf);
  switch (m.op) {
    case 'flip':
      if (out.length) out[m.at % out.length]! ^= 1 << m.bit;
      return out;
    case 'truncate':
      return out.subarray(0, m.at % (out.length + 1));
    case 'pointer': {
      const at = out.length ? m.at % out.length : 0;
      return Buffer.concat([out.subarray(0, at), Buffer.from([0xc0 | (m.target >> 8), m.target & 0xff]), out.subarray(at)]);
    }
    case 'loop':
      // The question's name becomes a pointer to itself.
      if (out.length >= 14) out.writeUInt16BE(0xc00c, 12);
      return out;
    case 'count':
      if (out.length >= 12) out.writeUInt16BE(m.value, 4 + 2 * m.which);
      return out;
    case 'set':
      if (out.length) out[m.at % out.length] = m.value;
      return out;
    case 'append':
      return Buffer.concat([out, m.bytes]);
    case 'longLabel':
      if (out.length < 12) return out;
      return Buffer.concat([out.subarray(0, 12), Buffer.from([m.length]), Buffer.alloc(m.length, 0x61), out.subarray(12)]);
  }
}

describe('the query path under damaged queries', () => {
  it.each(['udp', 'tcp'] as const)('over %s: never throws; every reply is readable, echoes the ID and fits', (transport) => {
    fc.assert(
      fc.property(query, fc.array(mutation, { minLength: 0, maxLength: 4 }), (seed, mutations) => {
        let packet = seed.packet;
        for (const m of mutations) packet = mutate(packet, m);
        const out = server.pipeline.answer(packet, clientIpOf('198.51.100.7'), transport).bytes;
        if (out === null) {
          expect(packet.length < 12 || (packet[2]! & 0x80) !== 0).toBe(true);
          return;
        }
        expect(out.length).toBeLessThanOrEqual(transport === 'udp' ? 1232 : 65535);
        expect(Buffer.from(out).readUInt16BE(0)).toBe(packet.readUInt16BE(0));
        expect(out[2]! & 0x80).toBe(0x80);
        const reply = dnsPacket.decode(Buffer.from(out)) as unknown as { rcode: string; answers?: unknown[] };
        // Undamaged queries are well formed: FORMERR only where policy says so, never SERVFAIL.
        expect(reply.rcode).not.toBe('SERVFAIL');
        if (mutations.length === 0 && !['AXFR', 'IXFR', 'OPT'].includes(seed.type)) expect(reply.rcode).not.toBe('FORMERR');
      }),
      { numRuns: 3000 },
    );
  });
});
