import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeReply } from './encode.js';
import { nameToWire, readName } from './name.js';
import { addressRecord } from './rdata.js';
import { Opcode, Rcode, RRType, type ClientSubnet, type RR, type RRset, type Reply } from './types.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const u16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;

function reply(overrides: Partial<Reply> & { qname?: string; qtype?: number } = {}): Reply {
  const qname = overrides.qname ?? 'www.example.com';
  return {
    id: 0x4242,
    opcode: Opcode.QUERY,
    rcode: Rcode.NOERROR,
    aa: true,
    rd: false,
    cd: false,
    question: { qnameWire: nameToWire(qname), qname: qname.toLowerCase(), qtype: overrides.qtype ?? RRType.A, qclass: 1 },
    answer: [],
    authority: [],
    additional: [],
    edns: null,
    ...overrides,
  };
}

const a = (name: string, ip: string, ttl = 300): RR => addressRecord(name, ip, ttl);
const ns = (name: string, target: string): RR => ({ name, type: RRType.NS, ttl: 3600, data: { kind: 'name', name: target } });

/** Parses the fixed part of the record at `at`: returns its owner, type and where RDATA starts/ends. */
function recordAt(buf: Uint8Array, at: number): { owner: string; type: number; rdStart: number; rdEnd: number } {
  const { name, end } = readName(buf, at);
  return { owner: name, type: u16(buf, end), rdStart: end + 10, rdEnd: end + 10 + u16(buf, end + 8) };
}

/** Offset of the first answer record (after the question). */
function firstRecord(buf: Uint8Array): number {
  return readName(buf, 12).end + 4;
}

describe('encodeReply: header and question', () => {
  it('writes the header from the reply, QR=1, RA=0', () => {
    const out = encodeReply(reply({ id: 0xfedc, opcode: Opcode.NOTIFY, rcode: Rcode.NOTIMP, aa: false, rd: true, cd: true }), 512);
    expect(u16(out, 0)).toBe(0xfedc);
    expect(out[2]).toBe(0x80 | (4 << 3) | 0x01);
    expect(out[3]).toBe(0x10 | 4);
    expect([u16(out, 4), u16(out, 6), u16(out, 8), u16(out, 10)]).toEqual([1, 0, 0, 0]);
    const aaOnly = encodeReply(reply({ aa: true }), 512);
    expect(aaOnly[2]).toBe(0x84);
    expect(aaOnly[3]).toBe(0);
  });

  it('echoes the question bytes in the client case and points answers at them', () => {
    const out = encodeReply(reply({ qname: 'WwW.ExAmPlE.cOm', answer: [[a('www.example.com', '192.0.2.1')]] }), 512);
    expect(Buffer.from(out.subarray(12, 12 + 17)).toString('latin1')).toBe('\x03WwW\x07ExAmPlE\x03cOm\x00');
    expect(u16(out, 29)).toBe(RRType.A);
    const at = firstRecord(out);
    expect(hex(out.subarray(at, at + 2))).toBe('c00c');
  });

  it('writes no question for a reply without one', () => {
    const out = encodeReply(reply({ question: null, rcode: Rcode.FORMERR }), 512);
    expect(out.length).toBe(12);
    expect(u16(out, 4)).toBe(0);
    expect(out[3]! & 0x0f).toBe(Rcode.FORMERR);
  });

  it('returns a fresh buffer each time', () => {
    const first = encodeReply(reply({ answer: [[a('www.example.com', '192.0.2.1')]] }), 512);
    const copy = Buffer.from(first);
    encodeReply(reply({ id: 1, answer: [[a('www.example.com', '198.51.100.7')]] }), 512);
    expect(first.equals(copy)).toBe(true);
  });
});

describe('encodeReply: name compression', () => {
  it('compresses owners and NS/CNAME/PTR/MX/SOA names against earlier suffixes', () => {
    const out = encodeReply(
      reply({
        answer: [[{ name: 'www.example.com', type: RRType.CNAME, ttl: 60, data: { kind: 'name', name: 'web.example.com' } }]],
        authority: [
          [
            {
              name: 'example.com',
              type: RRType.SOA,
              ttl: 60,
              data: {
                kind: 'soa',
                mname: 'ns1.example.com',
                rname: 'hostmaster.example.com',
                serial: 1,
                refresh: 2,
                retry: 3,
                expire: 4,
                minimum: 5,
              },
            },
          ],
        ],
        additional: [
          [{ name: 'example.com', type: RRType.MX, ttl: 60, data: { kind: 'mx', preference: 10, exchange: 'mail.example.com' } }],
        ],
      }),
      512,
    );
    let at = firstRecord(out);
    const cname = recordAt(out, at);
    // "web" + pointer to "example.com" inside the question (offset 12 + 4).
    expect(hex(out.subarray(cname.rdStart, cname.rdEnd))).toBe('03776562c010');
    at = cname.rdEnd;
    const soa = recordAt(out, at);
    expect(hex(out.subarray(at, at + 2))).toBe('c010');
    expect(hex(out.subarray(soa.rdStart, soa.rdStart + 6))).toBe('036e7331c010');
    expect(soa.rdEnd - soa.rdStart).toBe(6 + 13 + 20);
    at = soa.rdEnd;
    const mx = recordAt(out, at);
    expect(hex(out.subarray(mx.rdStart, mx.rdEnd))).toBe('000a' + '046d61696c' + 'c010');
  });

  it('never compresses SRV targets and never points into them', () => {
    const out = encodeReply(
      reply({
        qname: '_sip._udp.example.com',
        qtype: RRType.SRV,
        answer: [
          [
            {
              name: '_sip._udp.example.com',
              type: RRType.SRV,
              ttl: 60,
              data: { kind: 'srv', priority: 1, weight: 2, port: 5060, target: 'sip.example.com' },
            },
          ],
        ],
        additional: [[a('sip.example.com', '192.0.2.5')]],
      }),
      512,
    );
    const srv = recordAt(out, firstRecord(out));
    expect(hex(out.subarray(srv.rdStart, srv.rdEnd))).toBe(`0001000213c4${hex(nameToWire('sip.example.com'))}`);
    // The glue owner is "sip" + pointer to the question's "example.com", not into the SRV RDATA.
    expect(hex(out.subarray(srv.rdEnd, srv.rdEnd + 6))).toBe('03736970c016');
  });

  it('does not compress names inside RDATA of other types (e.g. DNAME)', () => {
    const out = encodeReply(
      reply({
        qname: 'x.example.com',
        answer: [[{ name: 'x.example.com', type: 39, ttl: 60, data: { kind: 'name', name: 'y.example.com' } }]],
      }),
      512,
    );
    const rec = recordAt(out, firstRecord(out));
    expect(hex(out.subarray(rec.rdStart, rec.rdEnd))).toBe(hex(nameToWire('y.example.com')));
  });

  it('writes raw RDATA as is, and the root name as a single byte', () => {
    const out = encodeReply(
      reply({
        qname: '',
        qtype: RRType.NS,
        answer: [[{ name: '', type: 65534, ttl: 1, data: { kind: 'raw', bytes: Uint8Array.of(0xc0, 0x0c, 0xff) } }]],
      }),
      512,
    );
    expect(out.length).toBe(12 + 5 + 11 + 3);
    expect(hex(out.subarray(17))).toBe('00' + 'fffe' + '0001' + '00000001' + '0003' + 'c00cff');
  });

  it('keeps pointers valid when names start beyond offset 0x3fff', () => {
    // ~2000 records under different names: later owners cannot be pointer targets.
    const answer: RRset[] = [];
    for (let i = 0; i < 2000; i++) answer.push([a(`host${i}.pool.example.com`, '192.0.2.1')]);
    const out = encodeReply(reply({ answer }), 65535);
    const decoded = dnsPacket.decode(out);
    expect(decoded.answers?.length).toBe(2000);
    for (const [i, rr] of decoded.answers!.entries()) expect(rr.name.toLowerCase()).toBe(`host${i}.pool.example.com`);
    expect(out.length).toBeGreaterThan(0x4000);
  });

  it('throws on RDATA too long for RDLENGTH', () => {
    expect(() =>
      encodeReply(reply({ answer: [[{ name: 'x', type: 65534, ttl: 1, data: { kind: 'raw', bytes: new Uint8Array(65536) } }]] }), 65535),
    ).toThrow(RangeError);
  });
});

describe('encodeReply: OPT', () => {
  const ecs: ClientSubnet = { family: 1, sourcePrefix: 24, scopePrefix: 16, address: Uint8Array.of(192, 0, 2) };

  it('writes OPT with size, DO, version 0 and the ECS echo', () => {
    const out = encodeReply(reply({ edns: { udpSize: 1232, dnssecOk: true, ecs } }), 1232);
    expect(u16(out, 10)).toBe(1);
    expect(hex(out.subarray(out.length - 22))).toBe(
      '00' + '0029' + '04d0' + '00008000' + '000b' + '0008' + '0007' + '0001' + '18' + '10' + 'c00002',
    );
  });

  it('writes no OPT without edns; without OPT only the low rcode bits fit', () => {
    const out = encodeReply(reply({ rcode: Rcode.BADVERS }), 512);
    expect(u16(out, 10)).toBe(0);
    expect(out[3]! & 0x0f).toBe(0);
  });

  it('splits BADVERS: header rcode 0, extended rcode 1 in OPT', () => {
    const out = encodeReply(reply({ rcode: Rcode.BADVERS, edns: { udpSize: 1232, dnssecOk: false, ecs: null } }), 512);
    expect(out[3]! & 0x0f).toBe(0);
    expect(hex(out.subarray(out.length - 11))).toBe('00' + '0029' + '04d0' + '01000000' + '0000');
  });
});

describe('encodeReply: fit to size', () => {
  const many = (n: number, prefix = 'h'): RRset[] => Array.from({ length: n }, (_, i) => [a(`${prefix}${i}.example.com`, '192.0.2.1')]);
  const counts = (b: Uint8Array): [number, number, number] => [u16(b, 6), u16(b, 8), u16(b, 10)];
  const tc = (b: Uint8Array): boolean => (b[2]! & 0x02) !== 0;

  it('drops a whole RRset that does not fit, sets TC and keeps the OPT', () => {
    const big: RRset = Array.from({ length: 100 }, (_, i) => a('www.example.com', `192.0.2.${i}`));
    const out = encodeReply(reply({ answer: [big], edns: { udpSize: 1232, dnssecOk: false, ecs: null } }), 1232);
    expect(tc(out)).toBe(true);
    expect(counts(out)).toEqual([0, 0, 1]);
    expect(dnsPacket.decode(out).additionals?.[0]?.type).toBe('OPT');
    // 100 x 16 bytes fits in 4096.
    const roomy = encodeReply(reply({ answer: [big], edns: { udpSize: 4096, dnssecOk: false, ecs: null } }), 4096);
    expect(tc(roomy)).toBe(false);
    expect(counts(roomy)).toEqual([100, 0, 1]);
  });

  it('keeps as many whole answer RRsets as fit under 512 without EDNS', () => {
    const out = encodeReply(reply({ answer: many(100) }), 512);
    expect(out.length).toBeLessThanOrEqual(512);
    expect(tc(out)).toBe(true);
    const decoded = dnsPacket.decode(out);
    const kept = decoded.answers!.length;
    expect(kept).toBe(counts(out)[0]);
    // Each extra record is "hNN" + pointer (~7 bytes) + 14: the next one would not have fit.
    expect(out.length + 7 + 14).toBeGreaterThan(512);
  });

  it('an authority RRset that does not fit sets TC; an additional one does not', () => {
    const authority = encodeReply(reply({ answer: many(2), authority: many(60, 'n') }), 512);
    expect(tc(authority)).toBe(true);
    expect(counts(authority)[0]).toBe(2);
    const additional = encodeReply(
      reply({ answer: many(2), authority: [[ns('example.com', 'ns1.example.com')]], additional: many(60, 'g') }),
      512,
    );
    expect(tc(additional)).toBe(false);
    expect(counts(additional)[0]).toBe(2);
    expect(counts(additional)[1]).toBe(1);
    expect(counts(additional)[2]).toBeLessThan(60);
    expect(additional.length).toBeLessThanOrEqual(512);
  });

  it('stops the additional section at the first RRset that does not fit', () => {
    const small = [a('g.example.com', '192.0.2.1')];
    const huge = Array.from({ length: 40 }, (_, i) => a('big.example.com', `198.51.100.${i}`));
    const out = encodeReply(reply({ additional: [small, huge, small.map((r) => ({ ...r, name: 'z.example.com' }))] }), 512);
    expect(counts(out)).toEqual([0, 0, 1]);
    expect(tc(out)).toBe(false);
  });

  it('compression entries from a dropped RRset are not used afterwards', () => {
    // The dropped authority set introduces "zzz.example.com"; nothing after it may point there.
    const dropped = Array.from({ length: 40 }, () => ns('zzz.example.com', 'ns.zzz.example.com'));
    const out = encodeReply(reply({ answer: many(3), authority: [dropped] }), 512);
    expect(tc(out)).toBe(true);
    const decoded = dnsPacket.decode(out);
    expect(decoded.answers!.map((r) => r.name.toLowerCase())).toEqual(['h0.example.com', 'h1.example.com', 'h2.example.com']);
    expect(counts(out)).toEqual([3, 0, 0]);
  });

  it('never exceeds 65535, even when asked for more', () => {
    const answer: RRset[] = [];
    for (let i = 0; i < 6000; i++) answer.push([a(`x${i}.example.com`, '2001:db8::1')]);
    const out = encodeReply(reply({ answer, edns: { udpSize: 1232, dnssecOk: false, ecs: null } }), 100_000);
    expect(out.length).toBeLessThanOrEqual(65535);
    expect(tc(out)).toBe(true);
    expect(dnsPacket.decode(out).answers!.length).toBe(counts(out)[0]);
  });

  // Random replies at random limits: the size bound, RRset-prefix structure, TC rule and
  // maximality (the first RRset left out would really not have fit).
  it('holds its invariants for random replies and limits', () => {
    const rr = fc.record({
      label: fc.constantFrom('a', 'b', 'mail', 'www', 'x-1', 'Deep.Sub'),
      kind: fc.constantFrom('A', 'AAAA', 'TXT', 'NS', 'MX', 'SRV'),
      size: fc.integer({ min: 0, max: 300 }),
    });
    const toRR = (r: { label: string; kind: string; size: number }, i: number): RR => {
      const name = `${r.label.toLowerCase()}.example.com`;
      switch (r.kind) {
        case 'A':
          return a(name, `192.0.2.${i % 256}`);
        case 'AAAA':
          return a(name, `2001:db8::${i}`);
        case 'TXT':
          return {
            name,
            type: RRType.TXT,
            ttl: 5,
            data: { kind: 'raw', bytes: Uint8Array.from([Math.min(r.size, 255), ...new Array<number>(Math.min(r.size, 255)).fill(0x41)]) },
          };
        case 'NS':
          return ns(name, `ns${i}.example.net`);
        case 'MX':
          return { name, type: RRType.MX, ttl: 5, data: { kind: 'mx', preference: i, exchange: `mx.${name}` } };
        default:
          return { name, type: RRType.SRV, ttl: 5, data: { kind: 'srv', priority: 1, weight: 1, port: i, target: `t.${name}` } };
      }
    };
    const sets = fc.array(fc.array(rr, { minLength: 1, maxLength: 6 }), { maxLength: 8 });
    fc.assert(
      fc.property(sets, sets, sets, fc.integer({ min: 512, max: 4096 }), fc.boolean(), (an, au, ad, limit, withEdns) => {
        const mk = (s: typeof an): RRset[] => s.map((set, j) => set.map((r, i) => toRR(r, j * 10 + i)));
        const base = reply({
          answer: mk(an),
          authority: mk(au),
          additional: mk(ad),
          edns: withEdns
            ? { udpSize: limit, dnssecOk: false, ecs: { family: 2, sourcePrefix: 56, scopePrefix: 48, address: new Uint8Array(7) } }
            : null,
        });
        const out = encodeReply(base, limit);
        expect(out.length).toBeLessThanOrEqual(limit);
        const decoded = dnsPacket.decode(out);
        const [ancount, nscount, arcount] = counts(out);
        expect(decoded.answers!.length).toBe(ancount);
        expect(decoded.authorities!.length).toBe(nscount);
        expect(decoded.additionals!.length).toBe(arcount);
        if (withEdns) expect(decoded.additionals!.at(-1)?.type).toBe('OPT');
        const kept = (sections: RRset[], n: number): number => {
          // How many whole RRsets make up the first n records (n must land on a boundary).
          let k = 0;
          let total = 0;
          while (k < sections.length && total + sections[k]!.length <= n) total += sections[k++]!.length;
          expect(total).toBe(n);
          return k;
        };
        const keptAn = kept(base.answer as RRset[], ancount);
        const keptNs = kept(base.authority as RRset[], nscount);
        const keptAr = kept(base.additional as RRset[], arcount - (withEdns ? 1 : 0));
        const allAnswer = keptAn === base.answer.length;
        const allAuthority = keptNs === base.authority.length;
        expect(tc(out)).toBe(!(allAnswer && allAuthority));
        if (!allAnswer) expect(nscount + arcount - (withEdns ? 1 : 0)).toBe(0);
        // Maximality: the same reply cut just after the first missing RRset overflows the limit.
        let probe: Reply | null = null;
        if (!allAnswer) probe = { ...base, answer: base.answer.slice(0, keptAn + 1), authority: [], additional: [] };
        else if (!allAuthority) probe = { ...base, authority: base.authority.slice(0, keptNs + 1), additional: [] };
        else if (keptAr < base.additional.length) probe = { ...base, additional: base.additional.slice(0, keptAr + 1) };
        if (probe) expect(encodeReply(probe, 65535).length).toBeGreaterThan(limit);
      }),
      { numRuns: 300 },
    );
  });
});
