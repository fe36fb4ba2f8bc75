import { describe, expect, it } from 'vitest';
import { decodeQuery, type DecodeOutcome } from './decode.js';
import { encodeQuery } from './encode.js';
import { nameToWire } from './name.js';
import { Opcode, RRClass, RRType, type Query } from './types.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function u16(v: number): number[] {
  return [(v >>> 8) & 0xff, v & 0xff];
}

/** A raw message: header with the given counts and flags, then the body bytes as given. */
function message(
  counts: { qd?: number; an?: number; ns?: number; ar?: number; flags?: number },
  ...body: (number[] | Uint8Array)[]
): Uint8Array {
  const bytes = [
    ...u16(0xbeef),
    ...u16(counts.flags ?? 0x0100),
    ...u16(counts.qd ?? 1),
    ...u16(counts.an ?? 0),
    ...u16(counts.ns ?? 0),
    ...u16(counts.ar ?? 0),
  ];
  for (const part of body) bytes.push(...part);
  return Uint8Array.from(bytes);
}

const question = (name = 'www.example.com', type: number = RRType.A): number[] => [...nameToWire(name), ...u16(type), ...u16(RRClass.IN)];

/** An OPT record with the given raw options (each [code, ...data]). */
function opt(options: number[][] = [], udp = 1232, version = 0, flags = 0): number[] {
  const rdata: number[] = [];
  for (const [code, ...data] of options) rdata.push(...u16(code!), ...u16(data.length), ...data);
  return [0, ...u16(RRType.OPT), ...u16(udp), 0, version, ...u16(flags), ...u16(rdata.length), ...rdata];
}

const ecsOption = (family: number, source: number, scope: number, address: number[]): number[] => [
  8,
  ...u16(family),
  source,
  scope,
  ...address,
];

/** A plain RR with an uncompressed-or-raw owner. */
function rr(owner: number[], type: number, rdata: number[]): number[] {
  return [...owner, ...u16(type), ...u16(RRClass.IN), 0, 0, 0, 60, ...u16(rdata.length), ...rdata];
}

function expectQuery(outcome: DecodeOutcome): Query {
  if (outcome.kind !== 'query') throw new Error(`expected a query, got ${outcome.kind}: ${'reason' in outcome ? outcome.reason : ''}`);
  return outcome.query;
}

function expectFormerr(outcome: DecodeOutcome, reason: RegExp): Extract<DecodeOutcome, { kind: 'formerr' }> {
  if (outcome.kind !== 'formerr') throw new Error(`expected formerr, got ${outcome.kind}`);
  expect(outcome.reason).toMatch(reason);
  return outcome;
}

describe('decodeQuery: drops', () => {
  it.each([0, 1, 11])('drops a %i-byte packet', (n) => {
    const outcome = decodeQuery(new Uint8Array(n));
    expect(outcome.kind).toBe('drop');
  });

  it('drops a response (QR=1), even a well-formed one', () => {
    const outcome = decodeQuery(encodeQuery({ qname: 'example.com', qr: true }));
    expect(outcome).toEqual({ kind: 'drop', reason: expect.stringMatching(/QR=1/) });
  });
});

describe('decodeQuery: valid queries', () => {
  it('reads header fields and the question', () => {
    const q = expectQuery(decodeQuery(encodeQuery({ id: 0xabcd, qname: 'www.example.com', qtype: RRType.AAAA, rd: true, cd: true })));
    expect(q).toMatchObject({
      id: 0xabcd,
      opcode: 0,
      rd: true,
      cd: true,
      qname: 'www.example.com',
      qtype: RRType.AAAA,
      qclass: RRClass.IN,
      edns: null,
    });
    expect(q.size).toBe(12 + 17 + 4);
    expect(hex(q.qnameWire)).toBe(hex(nameToWire('www.example.com')));
  });

  it('lowercases qname but keeps the client spelling in qnameWire', () => {
    const q = expectQuery(decodeQuery(encodeQuery({ qname: 'WwW.ExAmPlE.CoM' })));
    expect(q.qname).toBe('www.example.com');
    expect(Buffer.from(q.qnameWire).toString('latin1')).toContain('WwW');
    expect(q.rd).toBe(false);
    expect(q.cd).toBe(false);
  });

  it('gives odd bytes canonical escapes', () => {
    const wire = Uint8Array.from([3, 0x61, 0x2e, 0x42, 2, 0x20, 0x5c, 0]);
    const q = expectQuery(decodeQuery(message({}, wire, u16(1), u16(1))));
    expect(q.qname).toBe('a\\.b.\\032\\\\');
  });

  it('decodes the root name', () => {
    const q = expectQuery(decodeQuery(message({}, [0], u16(RRType.NS), u16(1))));
    expect(q.qname).toBe('');
    expect(q.qnameWire.length).toBe(1);
  });

  it('decodes any opcode, class and EDNS version (policy is not its business)', () => {
    const q = expectQuery(
      decodeQuery(
        encodeQuery({ qname: 'version.bind', qtype: RRType.TXT, qclass: RRClass.CH, opcode: Opcode.STATUS, edns: { version: 1 } }),
      ),
    );
    expect(q).toMatchObject({ opcode: Opcode.STATUS, qclass: RRClass.CH, edns: { version: 1 } });
  });

  it('reads EDNS fields; a UDP size below 512 counts as 512', () => {
    expect(expectQuery(decodeQuery(encodeQuery({ qname: 'a.example', edns: { udpSize: 4096, dnssecOk: true } }))).edns).toEqual({
      version: 0,
      udpSize: 4096,
      dnssecOk: true,
      ecs: null,
      cookie: null,
      nsid: false,
    });
    expect(expectQuery(decodeQuery(encodeQuery({ qname: 'a.example', edns: { udpSize: 100 } }))).edns?.udpSize).toBe(512);
    expect(expectQuery(decodeQuery(encodeQuery({ qname: 'a.example', edns: { udpSize: 0 } }))).edns?.udpSize).toBe(512);
  });

  it('ignores unknown options and an empty option list', () => {
    const q = expectQuery(decodeQuery(message({ ar: 1 }, question(), opt([[65001]]))));
    expect(q.edns).toEqual({ version: 0, udpSize: 1232, dnssecOk: false, ecs: null, cookie: null, nsid: false });
  });

  it('hands over the first COOKIE option whatever its length, and notes an NSID request', () => {
    const q = expectQuery(decodeQuery(message({ ar: 1 }, question(), opt([[3], [10, 1, 2, 3], [10, 9, 9, 9, 9, 9, 9, 9, 9]]))));
    expect(q.edns?.nsid).toBe(true);
    expect([...(q.edns?.cookie ?? [])]).toEqual([1, 2, 3]);
  });

  it.each([
    ['IPv4 /24', 1, 24, [192, 0, 2]],
    ['IPv4 /32', 1, 32, [192, 0, 2, 1]],
    ['IPv4 /0 (no address bytes)', 1, 0, []],
    ['IPv4 /20 with clean spare bits', 1, 20, [10, 1, 0x30]],
    ['IPv6 /56', 2, 56, [0x20, 0x01, 0x0d, 0xb8, 0, 1, 2]],
    ['IPv6 /128', 2, 128, new Array<number>(16).fill(1)],
  ])('accepts a valid ECS option: %s', (_label, family, source, address) => {
    const q = expectQuery(decodeQuery(message({ ar: 1 }, question(), opt([ecsOption(family, source, 0, address)]))));
    expect(q.edns?.ecs).toEqual({ family, sourcePrefix: source, scopePrefix: 0, address: Uint8Array.from(address) });
  });

  it('accepts records in the answer and authority sections when they are well formed', () => {
    // e.g. a NOTIFY carries the SOA in the answer section; its owner may point at the question.
    const body = message(
      { an: 1, ns: 1, ar: 1 },
      question('example.com', RRType.SOA),
      rr([0xc0, 12], RRType.A, [192, 0, 2, 1]),
      rr([1, 0x61, 0xc0, 12], RRType.TXT, [0]),
      opt(),
    );
    const q = expectQuery(decodeQuery(body));
    expect(q.qname).toBe('example.com');
    expect(q.edns).not.toBeNull();
  });
});

describe('decodeQuery: FORMERR', () => {
  it('QDCOUNT 0, still reading the OPT for the reply', () => {
    const f = expectFormerr(decodeQuery(message({ qd: 0, ar: 1 }, opt([], 4096, 0, 0x8000))), /QDCOUNT is 0/);
    expect(f).toMatchObject({ id: 0xbeef, rd: true, question: null, edns: { udpSize: 4096, dnssecOk: true } });
  });

  it('QDCOUNT 2', () => {
    const f = expectFormerr(decodeQuery(message({ qd: 2 }, question(), question('b.example'))), /QDCOUNT is 2/);
    expect(f.question).toBeNull();
  });

  it('QDCOUNT 2 with only one question present still reports the count', () => {
    expectFormerr(decodeQuery(message({ qd: 2 }, question())), /QDCOUNT is 2/);
  });

  it('a question that runs off the end (name, then type/class)', () => {
    expectFormerr(decodeQuery(message({}, [3, 0x77, 0x77])), /question name: .*end/);
    const f = expectFormerr(decodeQuery(message({}, nameToWire('example.com'), [0, 1, 0])), /question runs past/);
    expect(f.question).toBeNull();
    expect(f.id).toBe(0xbeef);
  });

  it('trailing junk, echoing the question and the OPT', () => {
    const f = expectFormerr(decodeQuery(message({ ar: 1 }, question('WWW.example.com'), opt(), [0xde, 0xad])), /2 trailing bytes/);
    expect(f.question?.qname).toBe('www.example.com');
    expect(hex(f.question!.qnameWire)).toBe(hex(nameToWire('WWW.example.com')));
    expect(f.edns).not.toBeNull();
    expectFormerr(decodeQuery(message({}, question(), [0])), /1 trailing bytes/);
  });

  it('two OPT records', () => {
    const f = expectFormerr(decodeQuery(message({ ar: 2 }, question(), opt([], 4096), opt([], 1400))), /more than one OPT/);
    expect(f.edns?.udpSize).toBe(4096);
  });

  it('OPT in the answer or authority section', () => {
    expectFormerr(decodeQuery(message({ an: 1 }, question(), opt())), /OPT record in the answer/);
    expectFormerr(decodeQuery(message({ ns: 1 }, question(), opt())), /OPT record in the authority/);
  });

  it('OPT with a non-root owner', () => {
    const notRoot = [...nameToWire('x'), ...opt().slice(1)];
    expectFormerr(decodeQuery(message({ ar: 1 }, question(), notRoot)), /owner is not the root/);
  });

  it.each([
    ['unknown family', ecsOption(3, 0, 0, []), /family 3/],
    ['IPv4 source prefix > 32', ecsOption(1, 33, 0, [1, 2, 3, 4, 5]), /source prefix 33 exceeds 32/],
    ['IPv6 source prefix > 128', ecsOption(2, 129, 0, new Array<number>(17).fill(0)), /source prefix 129 exceeds 128/],
    ['non-zero scope', ecsOption(1, 24, 24, [192, 0, 2]), /scope prefix 24/],
    ['address longer than the prefix', ecsOption(1, 24, 0, [192, 0, 2, 0]), /address of 4 bytes for source prefix 24/],
    ['address shorter than the prefix', ecsOption(1, 24, 0, [192, 0]), /address of 2 bytes/],
    ['address present with /0', ecsOption(1, 0, 0, [0]), /address of 1 bytes/],
    ['bits set past the prefix', ecsOption(1, 20, 0, [10, 1, 0x31]), /bits set past/],
    ['option shorter than 4 bytes', [8, 0, 1, 24], /shorter than 4/],
  ])('bad ECS: %s', (_label, option, reason) => {
    const f = expectFormerr(decodeQuery(message({ ar: 1 }, question(), opt([option]))), reason);
    // The OPT itself was readable, so the FORMERR reply can still carry one (without ECS).
    expect(f.edns).toMatchObject({ udpSize: 1232, ecs: null });
    expect(f.question?.qname).toBe('www.example.com');
  });

  it('two ECS options', () => {
    const one = ecsOption(1, 24, 0, [192, 0, 2]);
    expectFormerr(decodeQuery(message({ ar: 1 }, question(), opt([one, one]))), /more than one ECS/);
  });

  it('an option that runs past the OPT data, or a cut option header', () => {
    // Declares 8 bytes of option data but OPT RDLENGTH covers only 4 of them.
    const cut = [0, ...u16(RRType.OPT), ...u16(1232), 0, 0, 0, 0, ...u16(8), ...u16(10), ...u16(8), 1, 2, 3, 4];
    expectFormerr(decodeQuery(message({ ar: 1 }, question(), cut)), /option 10 runs past/);
    const halfHeader = [0, ...u16(RRType.OPT), ...u16(1232), 0, 0, 0, 0, ...u16(2), 0, 10];
    expectFormerr(decodeQuery(message({ ar: 1 }, question(), halfHeader)), /option header runs past/);
  });

  it('record data that runs past the end of the message', () => {
    const optRecord = opt([[10, 1, 2, 3, 4, 5, 6, 7, 8]]);
    expectFormerr(decodeQuery(message({ ar: 1 }, question(), optRecord.slice(0, -3))), /record data runs past/);
    expectFormerr(decodeQuery(message({ ar: 1 }, question(), [0, 0, 41, 4])), /additional record runs past/);
    expectFormerr(decodeQuery(message({ ar: 2 }, question(), opt())), /additional record name: .*end/);
  });

  it('a compression loop in an additional record', () => {
    // Owner at offset 33: label "a", then a pointer to 33 itself (not strictly backwards).
    const at = 12 + question().length;
    const looping = rr([1, 0x61, 0xc0, at], RRType.A, [1, 2, 3, 4]);
    expectFormerr(decodeQuery(message({ ar: 1 }, question(), looping)), /additional record name: .*backwards/);
    // A two-hop loop: record 1 owner points into record 2's owner, which points back.
    const r1At = at;
    const r1 = rr([1, 0x61, 0xc0, r1At + 4 + 10 + 4], RRType.A, [1, 2, 3, 4]);
    const r2 = rr([1, 0x62, 0xc0, r1At], RRType.A, [1, 2, 3, 4]);
    expectFormerr(decodeQuery(message({ ar: 2 }, question(), r1, r2)), /backwards/);
  });

  it('a forward pointer and a pointer into the header', () => {
    const at = 12 + question().length;
    expectFormerr(
      decodeQuery(message({ an: 1 }, question(), rr([0xc0, at + 2, 0], RRType.A, [1, 2, 3, 4]))),
      /answer record name: .*backwards/,
    );
    expectFormerr(decodeQuery(message({ ns: 1 }, question(), rr([0xc0, 4], RRType.A, [1, 2, 3, 4]))), /authority record name: .*header/);
    // The question name itself can never be compressed: any pointer there points into the header or forward.
    expectFormerr(decodeQuery(message({}, [0xc0, 12], u16(1), u16(1))), /question name: .*backwards/);
  });

  it('a label longer than 63 bytes (reserved label type)', () => {
    expectFormerr(decodeQuery(message({}, [64, ...new Array<number>(64).fill(0x61), 0], u16(1), u16(1))), /label type/);
    expectFormerr(decodeQuery(message({}, [0x80, 0], u16(1), u16(1))), /label type/);
  });

  it('a name longer than 255 bytes', () => {
    const long: number[] = [];
    for (let i = 0; i < 4; i++) long.push(63, ...new Array<number>(63).fill(0x61));
    long.push(0);
    expectFormerr(decodeQuery(message({}, long, u16(1), u16(1))), /longer than 255/);
  });

  it('a huge record count with no records behind it', () => {
    expectFormerr(decodeQuery(message({ an: 0xffff, ns: 0xffff, ar: 0xffff }, question())), /answer record name: .*end/);
  });
});
