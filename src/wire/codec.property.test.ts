// Property tests: hostile input never escapes decodeQuery as an exception, and whatever it
// accepts can be answered with a reply that independent decoders read back.
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeQuery, type ReplyQuestion } from './decode.js';
import { encodeQuery, encodeReply } from './encode.js';
import { nameToWire, readName } from './name.js';
import { Rcode, RRType, type QueryEdns, type Reply } from './types.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const lower = (b: Uint8Array): Uint8Array => b.map((c) => (c >= 0x41 && c <= 0x5a ? c + 32 : c));

/** A wire name of random bytes within the 255-byte limit. */
const wireName = fc
  .array(
    fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 63 }),
      fc.constantFrom(...['www', 'Example', 'COM', 'a'].map((s) => Uint8Array.from(Buffer.from(s)))),
    ),
    { maxLength: 6 },
  )
  .filter((labels) => labels.reduce((n, l) => n + l.length + 1, 1) <= 255)
  .map((labels) => {
    const parts: number[] = [];
    for (const l of labels) parts.push(l.length, ...l);
    parts.push(0);
    return Uint8Array.from(parts);
  });

const validEcs = fc.oneof(
  fc
    .integer({ min: 0, max: 32 })
    .chain((source) =>
      fc
        .uint8Array({ minLength: (source + 7) >> 3, maxLength: (source + 7) >> 3 })
        .map((addr) => ({ family: 1, sourcePrefix: source, address: maskTail(addr, source) })),
    ),
  fc
    .integer({ min: 0, max: 128 })
    .chain((source) =>
      fc
        .uint8Array({ minLength: (source + 7) >> 3, maxLength: (source + 7) >> 3 })
        .map((addr) => ({ family: 2, sourcePrefix: source, address: maskTail(addr, source) })),
    ),
);

function maskTail(addr: Uint8Array, source: number): Uint8Array {
  const out = Uint8Array.from(addr);
  if (source & 7 && out.length > 0) out[out.length - 1]! &= 0xff << (8 - (source & 7));
  return out;
}

const querySpec = fc.record({
  id: fc.integer({ min: 0, max: 0xffff }),
  qnameWire: wireName,
  qtype: fc.integer({ min: 0, max: 0xffff }),
  qclass: fc.constantFrom(1, 3, 255),
  opcode: fc.integer({ min: 0, max: 15 }),
  rd: fc.boolean(),
  cd: fc.boolean(),
  edns: fc.option(
    fc.record({
      udpSize: fc.integer({ min: 0, max: 0xffff }),
      version: fc.integer({ min: 0, max: 2 }),
      dnssecOk: fc.boolean(),
      ecs: fc.option(validEcs),
      options: fc.array(fc.record({ code: fc.integer({ min: 9, max: 0xffff }), data: fc.uint8Array({ maxLength: 20 }) }), { maxLength: 2 }),
    }),
  ),
});

/** Damage to apply to a valid query. */
const mutation = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('pointer' as const), at: fc.nat(), target: fc.integer({ min: 0, max: 0x3fff }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(buf: Uint8Array, m: Mutation): Uint8Array {
  const out = Array.from(buf);
  switch (m.op) {
    case 'flip':
      if (out.length) out[m.at % out.length]! ^= 1 << m.bit;
      break;
    case 'truncate':
      out.length = m.at % (out.length + 1);
      break;
    case 'pointer':
      out.splice(out.length ? m.at % out.length : 0, 0, 0xc0 | (m.target >> 8), m.target & 0xff);
      break;
    case 'set':
      if (out.length) out[m.at % out.length] = m.value;
      break;
    case 'append':
      out.push(...m.bytes);
      break;
  }
  return Uint8Array.from(out);
}

/** A reply that exercises compression against the question: owner, CNAME and SOA names = qname. */
function replyFor(id: number, question: ReplyQuestion | null, edns: QueryEdns | null): Reply {
  const qname = question?.qname ?? 'example';
  return {
    id,
    opcode: 0,
    rcode: edns && edns.version > 0 ? Rcode.BADVERS : Rcode.NOERROR,
    aa: true,
    rd: false,
    cd: false,
    question,
    answer: [
      [{ name: qname, type: RRType.CNAME, ttl: 60, data: { kind: 'name', name: qname } }],
      [{ name: qname, type: RRType.A, ttl: 60, data: { kind: 'raw', bytes: Uint8Array.of(192, 0, 2, 1) } }],
    ],
    authority: [
      [
        {
          name: qname,
          type: RRType.SOA,
          ttl: 60,
          data: { kind: 'soa', mname: qname, rname: qname, serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5 },
        },
      ],
    ],
    additional: [],
    edns: edns
      ? { udpSize: 1232, dnssecOk: edns.dnssecOk, ecs: edns.ecs ? { ...edns.ecs, scopePrefix: edns.ecs.sourcePrefix } : null }
      : null,
  };
}

/** Encodes a reply and checks it with dns-packet and with our own name reader. */
function checkReply(reply: Reply, limit: number): void {
  const out = encodeReply(reply, limit);
  expect(out.length).toBeLessThanOrEqual(limit);
  const decoded = dnsPacket.decode(out);
  if (reply.question) {
    expect(hex(out.subarray(12, 12 + reply.question.qnameWire.length))).toBe(hex(reply.question.qnameWire));
    expect(decoded.questions?.length).toBe(1);
  }
  // Walk every owner name with our strict reader too (pointers valid and backwards).
  let at = reply.question ? readName(out, 12).end + 4 : 12;
  const total = (out[6]! << 8) + out[7]! + (out[8]! << 8) + out[9]! + (out[10]! << 8) + out[11]!;
  for (let i = 0; i < total; i++) {
    const { name, end } = readName(out, at);
    if (i < (out[6]! << 8) + out[7]!) expect(name).toBe(reply.question?.qname ?? 'example');
    at = end + 10 + ((out[end + 8]! << 8) | out[end + 9]!);
  }
  expect(at).toBe(out.length);
}

describe('decodeQuery properties', () => {
  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const outcome = decodeQuery(bytes);
        expect(['query', 'drop', 'formerr']).toContain(outcome.kind);
      }),
      { numRuns: 3000 },
    );
  });

  it('decodes what encodeQuery builds, field for field', () => {
    fc.assert(
      fc.property(querySpec, (spec) => {
        const outcome = decodeQuery(
          encodeQuery({ qname: '', ...spec, edns: spec.edns ? { ...spec.edns, ecs: spec.edns.ecs ?? null } : null }),
        );
        if (outcome.kind !== 'query') throw new Error(`${outcome.kind}: ${'reason' in outcome ? outcome.reason : ''}`);
        const q = outcome.query;
        expect(q).toMatchObject({ id: spec.id, opcode: spec.opcode, rd: spec.rd, cd: spec.cd, qtype: spec.qtype, qclass: spec.qclass });
        expect(hex(q.qnameWire)).toBe(hex(spec.qnameWire));
        expect(hex(nameToWire(q.qname))).toBe(hex(lower(spec.qnameWire)));
        if (spec.edns) {
          expect(q.edns).toMatchObject({
            version: spec.edns.version,
            dnssecOk: spec.edns.dnssecOk,
            udpSize: Math.max(512, spec.edns.udpSize),
          });
          const ecs = spec.edns.ecs;
          const got = q.edns?.ecs ?? null;
          expect(got && { ...got, address: hex(got.address) }).toEqual(
            ecs ? { family: ecs.family, sourcePrefix: ecs.sourcePrefix, scopePrefix: 0, address: hex(ecs.address) } : null,
          );
        } else {
          expect(q.edns).toBeNull();
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on damaged queries, and every answerable outcome encodes into a readable reply', () => {
    fc.assert(
      fc.property(
        querySpec,
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.constantFrom(512, 1232, 65535),
        (spec, mutations, limit) => {
          let buf: Uint8Array = encodeQuery({ qname: '', ...spec, edns: spec.edns ? { ...spec.edns, ecs: spec.edns.ecs ?? null } : null });
          for (const m of mutations) buf = mutate(buf, m);
          const outcome = decodeQuery(buf);
          if (outcome.kind === 'query') {
            const q = outcome.query;
            checkReply(replyFor(q.id, { qnameWire: q.qnameWire, qname: q.qname, qtype: q.qtype, qclass: q.qclass }, q.edns), limit);
          } else if (outcome.kind === 'formerr') {
            checkReply({ ...replyFor(outcome.id, outcome.question, outcome.edns), rcode: Rcode.FORMERR, answer: [], authority: [] }, limit);
            checkReply(replyFor(outcome.id, outcome.question, outcome.edns), limit);
          } else {
            expect(buf.length < 12 || (buf[2]! & 0x80) !== 0).toBe(true);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
