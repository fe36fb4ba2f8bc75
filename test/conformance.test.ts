// Conformance of the real server, over real UDP and TCP: the answering behaviours listed in
// docs/conformance.md, each test named by behaviour and the RFC section that requires it.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildQuery, decode, frame, tcpExchange, udpNoReply, type DecodedReply, type DecodedRR } from './support/dns-client.js';
import { startTestServer, type TestServer } from './support/server.js';
import { eventually } from './support/eventually.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const zonesDir = path.join(here, 'fixtures/conformance');

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ zonesDir, tcp: { idleTimeoutMs: 400, maxConnections: 8 } });
});
afterAll(async () => {
  await t?.close();
});

type Reply = DecodedReply;
const transports = ['udp', 'tcp'] as const;
const ask = (via: (typeof transports)[number], spec: Parameters<TestServer['udp']>[0]): Promise<Reply> =>
  via === 'udp' ? t.udp(spec) : t.tcp(spec);

function opt(reply: Reply): DecodedRR | undefined {
  return reply.additionals.find((a) => a.type === 'OPT');
}
function rrs(section: readonly DecodedRR[] | undefined): string[] {
  return (section ?? [])
    .filter((a) => a.type !== 'OPT')
    .map((a) => {
      const d = a.data;
      const text =
        typeof d === 'string' ? d : Array.isArray(d) ? d.map((x) => Buffer.from(x as Buffer).toString()).join(' ') : JSON.stringify(d);
      return `${a.name} ${a.type} ${text}`;
    })
    .sort();
}

describe.each(transports)('header and question over %s', (via) => {
  it('a normal answer copies ID, RD and opcode, sets QR and AA, clears RA (RFC 1035 §4.1.1)', async () => {
    const r = await ask(via, { name: 'www.example.com', type: 'A', id: 4242, rd: true });
    expect(r.id).toBe(4242);
    expect(r.type).toBe('response');
    expect(r.flag_aa).toBe(true);
    expect(r.flag_rd).toBe(true);
    expect(r.flag_ra).toBe(false);
    expect(r.opcode).toBe('QUERY');
    expect(r.rcode).toBe('NOERROR');
    expect(rrs(r.answers)).toEqual(['www.example.com A 192.0.2.10']);
    const noRd = await ask(via, { name: 'www.example.com', type: 'A', rd: false });
    expect(noRd.flag_rd).toBe(false);
  });

  it('echoes the question byte for byte, keeping the client letter case (RFC 1035 §4.1.2, RFC 4343 §4)', async () => {
    const r = await ask(via, { name: 'WwW.ExAmPlE.cOm', type: 'AAAA' });
    expect(r.questions[0]!.name).toBe('WwW.ExAmPlE.cOm');
    expect(r.rcode).toBe('NOERROR');
    expect(rrs(r.answers).map((s) => s.toLowerCase())).toEqual(['www.example.com aaaa 2001:db8::10']);
  });

  it('a class other than IN is refused (RFC 1035 §4.1.1)', async () => {
    for (const cls of ['CH', 'HS', 'ANY']) {
      const r = await ask(via, { name: 'www.example.com', type: 'A', class: cls });
      expect(r.rcode, cls).toBe('REFUSED');
    }
  });

  it('a name outside every zone is refused without AA (RFC 1035 §4.1.1)', async () => {
    const r = await ask(via, { name: 'www.example.org', type: 'A' });
    expect(r.rcode).toBe('REFUSED');
    expect(r.flag_aa).toBe(false);
  });
});

describe('malformed and unusual packets', () => {
  it('a packet shorter than a header or with QR=1 is dropped silently (RFC 1035 §4.1.1)', async () => {
    expect(await udpNoReply(t.host, t.port, Buffer.from([1, 2, 3, 4, 5]))).toBe(true);
    const q = buildQuery({ name: 'www.example.com', type: 'A' });
    q[2] = q[2]! | 0x80;
    expect(await udpNoReply(t.host, t.port, q)).toBe(true);
    // ...and the server is still answering.
    expect((await t.udp({ name: 'www.example.com', type: 'A' })).rcode).toBe('NOERROR');
  });

  it('QDCOUNT other than 1, a question running off the end, or trailing junk is FORMERR (RFC 1035 §4.1.1)', async () => {
    const q = buildQuery({ name: 'www.example.com', type: 'A', id: 7 });
    const zeroQ = Buffer.from(q.subarray(0, 12));
    zeroQ.writeUInt16BE(0, 4);
    const twoQ = Buffer.from(q);
    twoQ.writeUInt16BE(2, 4);
    const cut = q.subarray(0, q.length - 3);
    const junk = Buffer.concat([q, Buffer.from([0xde, 0xad])]);
    for (const [label, pkt] of [
      ['qd0', zeroQ],
      ['qd2', twoQ],
      ['cut', cut],
      ['junk', junk],
    ] as const) {
      const r = decode(await t.udpRaw(pkt));
      expect(r.rcode, label).toBe('FORMERR');
      expect(r.id, label).toBe(7);
    }
  });

  it('an opcode other than QUERY is NOTIMP (RFC 1035 §4.1.1)', async () => {
    for (const opcode of [1, 2, 5, 15]) {
      const q = buildQuery({ name: 'www.example.com', type: 'A' });
      q[2] = (q[2]! & 0x87) | (opcode << 3);
      const r = await t.udpRaw(q);
      expect(r[3]! & 0x0f, `opcode ${opcode}`).toBe(4);
      expect((r[2]! >> 3) & 0x0f).toBe(opcode);
    }
  });

  it('without transfer settings AXFR and IXFR are refused: AXFR over UDP is FORMERR, IXFR over UDP REFUSED (RFC 5936 §4.2, RFC 1995 §2)', async () => {
    expect((await t.udp({ name: 'example.com', type: 'AXFR' })).rcode).toBe('FORMERR');
    expect((await t.udp({ name: 'example.com', type: 'IXFR' })).rcode).toBe('REFUSED');
    expect((await t.tcp({ name: 'example.com', type: 'AXFR' })).rcode).toBe('REFUSED');
    expect((await t.tcp({ name: 'example.com', type: 'IXFR' })).rcode).toBe('REFUSED');
  });
});

describe.each(transports)('answers over %s', (via) => {
  it('NODATA carries the SOA in authority with TTL min(SOA TTL, MINIMUM) (RFC 2308 §2.2, §3)', async () => {
    const r = await ask(via, { name: 'www.example.com', type: 'MX' });
    expect(r.rcode).toBe('NOERROR');
    expect(r.flag_aa).toBe(true);
    expect(r.answers).toHaveLength(0);
    expect(r.authorities).toHaveLength(1);
    expect(r.authorities![0]!.type).toBe('SOA');
    expect(r.authorities![0]!.ttl).toBe(300);
  });

  it('NXDOMAIN carries the SOA in authority (RFC 2308 §3)', async () => {
    const r = await ask(via, { name: 'nope.example.com', type: 'A' });
    expect(r.rcode).toBe('NXDOMAIN');
    expect(r.flag_aa).toBe(true);
    expect(r.authorities!.map((a) => a.type)).toEqual(['SOA']);
    expect(r.authorities![0]!.ttl).toBe(300);
  });

  it('an empty non-terminal is NODATA, not NXDOMAIN (RFC 4592 §2.2.2)', async () => {
    const r = await ask(via, { name: 'c.example.com', type: 'A' });
    expect(r.rcode).toBe('NOERROR');
    expect(r.answers).toHaveLength(0);
    expect(r.authorities![0]!.type).toBe('SOA');
  });

  it('CNAME chains are followed inside the zone; qtype CNAME gets only the CNAME (RFC 1034 §4.3.2)', async () => {
    const r = await ask(via, { name: 'chain.example.com', type: 'A' });
    expect(r.rcode).toBe('NOERROR');
    expect(rrs(r.answers)).toEqual([
      'alias.example.com CNAME www.example.com',
      'chain.example.com CNAME alias.example.com',
      'www.example.com A 192.0.2.10',
    ]);
    const c = await ask(via, { name: 'alias.example.com', type: 'CNAME' });
    expect(rrs(c.answers)).toEqual(['alias.example.com CNAME www.example.com']);
    const out = await ask(via, { name: 'outside.example.com', type: 'A' });
    expect(out.rcode).toBe('NOERROR');
    expect(rrs(out.answers)).toEqual(['outside.example.com CNAME www.example.net']);
  });

  it('a CNAME to a missing in-zone name is NXDOMAIN with the CNAME (RFC 6604 §2.1)', async () => {
    const r = await ask(via, { name: 'dangling.example.com', type: 'A' });
    expect(r.rcode).toBe('NXDOMAIN');
    expect(rrs(r.answers)).toEqual(['dangling.example.com CNAME nowhere.example.com']);
    expect(r.authorities![0]!.type).toBe('SOA');
  });

  it('a CNAME loop ends after a bounded number of steps (RFC 1034 §3.6.2)', async () => {
    const r = await ask(via, { name: 'loop1.example.com', type: 'A' });
    expect(['NOERROR', 'SERVFAIL']).toContain(r.rcode);
    expect(rrs(r.answers)).toContain('loop1.example.com CNAME loop2.example.com');
    expect(r.answers!.length).toBeLessThanOrEqual(16);
  });

  it('wildcards synthesise the query name, but not at or below an existing name (RFC 4592 §3.3)', async () => {
    const r = await ask(via, { name: 'Foo.W.example.com', type: 'TXT' });
    expect(r.rcode).toBe('NOERROR');
    expect(r.flag_aa).toBe(true);
    expect(rrs(r.answers).map((s) => s.toLowerCase())).toEqual(['foo.w.example.com txt wild']);
    const below = await ask(via, { name: 'deeper.exists.w.example.com', type: 'TXT' });
    expect(below.rcode).toBe('NXDOMAIN');
    const atExisting = await ask(via, { name: 'exists.w.example.com', type: 'TXT' });
    expect(atExisting.rcode).toBe('NOERROR');
    expect(atExisting.answers).toHaveLength(0);
  });

  it('at or below a delegation the answer is a referral: AA clear, NS in authority, glue in additional (RFC 1034 §4.3.2)', async () => {
    for (const name of ['sub.example.com', 'a.b.sub.example.com']) {
      const r = await ask(via, { name, type: 'A' });
      expect(r.rcode, name).toBe('NOERROR');
      expect(r.flag_aa, name).toBe(false);
      expect(r.answers, name).toHaveLength(0);
      expect(rrs(r.authorities), name).toEqual(['sub.example.com NS ns.sub.example.com']);
      expect(rrs(r.additionals), name).toEqual(['ns.sub.example.com A 192.0.2.40']);
    }
  });

  it('MX and SRV targets get their addresses in additional; no NS in authority (RFC 1035 §3.3.9, RFC 2782)', async () => {
    const mx = await ask(via, { name: 'mail.example.com', type: 'MX' });
    expect(rrs(mx.answers)).toEqual(['mail.example.com MX {"preference":10,"exchange":"www.example.com"}']);
    expect(rrs(mx.additionals)).toEqual(['www.example.com A 192.0.2.10', 'www.example.com AAAA 2001:db8::10']);
    expect(mx.authorities).toHaveLength(0);
    const srv = await ask(via, { name: 'srv.example.com', type: 'SRV' });
    expect(rrs(srv.additionals)).toEqual(['www.example.com A 192.0.2.10', 'www.example.com AAAA 2001:db8::10']);
    const a = await ask(via, { name: 'www.example.com', type: 'A', edns: {} });
    expect(a.authorities).toHaveLength(0);
    expect(rrs(a.additionals)).toEqual([]);
  });

  it('ANY gets a minimal answer of one RRset (RFC 8482 §4.1)', async () => {
    const r = await ask(via, { name: 'www.example.com', type: 'ANY' });
    expect(r.rcode).toBe('NOERROR');
    const types = new Set(r.answers!.map((a) => a.type));
    expect(types.size).toBe(1);
  });

  it('SOA and NS at the apex answer normally, NS targets with their addresses (RFC 1034 §4.3.2)', async () => {
    const soa = await ask(via, { name: 'example.com', type: 'SOA' });
    expect(soa.answers!.map((a) => a.type)).toEqual(['SOA']);
    const ns = await ask(via, { name: 'example.com', type: 'NS' });
    expect(rrs(ns.answers)).toEqual(['example.com NS ns1.example.com', 'example.com NS ns2.example.com']);
    // NS targets inside the zone get their addresses in additional.
    expect(rrs(ns.additionals)).toEqual(['ns1.example.com A 192.0.2.1', 'ns2.example.com A 192.0.2.2']);
  });

  it('the most specific zone answers (RFC 1034 §4.3.2)', async () => {
    const r = await ask(via, { name: 'www.other.example.com', type: 'A' });
    expect(rrs(r.answers)).toEqual(['www.other.example.com A 192.0.2.101']);
    const soa = await ask(via, { name: 'nope.other.example.com', type: 'A' });
    expect(soa.authorities![0]!.name).toBe('other.example.com');
    expect(soa.authorities![0]!.ttl).toBe(60);
  });
});

describe('EDNS(0)', () => {
  it('a reply carries OPT only when the query did (RFC 6891 §7)', async () => {
    const withOpt = await t.udp({ name: 'www.example.com', type: 'A', edns: { udpSize: 4096 } });
    expect(opt(withOpt)).toBeDefined();
    expect(opt(withOpt)!.udpPayloadSize).toBe(1232);
    const without = await t.udp({ name: 'www.example.com', type: 'A' });
    expect(opt(without)).toBeUndefined();
  });

  it('EDNS version above 0 is BADVERS with OPT version 0 and no answer (RFC 6891 §6.1.3)', async () => {
    const raw = await t.udpRaw(buildQuery({ name: 'www.example.com', type: 'A', edns: { version: 1 } }));
    const r = decode(raw);
    const o = opt(r)!;
    expect(o).toBeDefined();
    expect(((o.extendedRcode as number) << 4) | (raw[3]! & 0x0f)).toBe(16);
    expect(o.ednsVersion).toBe(0);
    expect(r.answers).toHaveLength(0);
  });

  it('DO is echoed; unknown options are ignored and not echoed (RFC 3225 §3, RFC 6891 §6.1.2)', async () => {
    const q = buildQuery({ name: 'www.example.com', type: 'A', edns: { dnssecOk: true } });
    // Append an unknown option (code 65001, 2 bytes) to the OPT RDATA.
    const withOption = Buffer.concat([q, Buffer.from([0xfd, 0xe9, 0x00, 0x02, 0xab, 0xcd])]);
    withOption.writeUInt16BE(withOption.readUInt16BE(withOption.length - 6 - 2) + 6, withOption.length - 6 - 2);
    const r = decode(await t.udpRaw(withOption));
    expect(r.rcode).toBe('NOERROR');
    const o = opt(r)!;
    expect(o.flag_do).toBe(true);
    expect((o.options as unknown[]).length).toBe(0);
  });

  it('two OPT records, or OPT outside additional, is FORMERR (RFC 6891 §6.1.1)', async () => {
    const q = buildQuery({ name: 'www.example.com', type: 'A', edns: {} });
    const optRr = Buffer.from([0x00, 0x00, 0x29, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
    const two = Buffer.concat([q, optRr]);
    two.writeUInt16BE(2, 10);
    expect(decode(await t.udpRaw(two)).rcode).toBe('FORMERR');
    const plain = buildQuery({ name: 'www.example.com', type: 'A' });
    const inAnswer = Buffer.concat([plain, optRr]);
    inAnswer.writeUInt16BE(1, 6);
    expect(decode(await t.udpRaw(inAnswer)).rcode).toBe('FORMERR');
  });

  it('UDP replies fit min(client size, 1232) or 512; what does not fit sets TC with whole RRsets only (RFC 6891 §6.2.5, RFC 2181 §9)', async () => {
    const noEdns = await t.udpRaw(buildQuery({ name: 'big.example.com', type: 'TXT' }));
    expect(noEdns.length).toBeLessThanOrEqual(512);
    const r1 = decode(noEdns);
    expect(r1.flag_tc).toBe(true);
    expect(r1.answers).toHaveLength(0);
    expect(r1.questions[0]!.name).toBe('big.example.com');

    const edns = await t.udpRaw(buildQuery({ name: 'big.example.com', type: 'TXT', edns: { udpSize: 4096 } }));
    const r2 = decode(edns);
    expect(r2.flag_tc).toBe(false);
    expect(r2.answers).toHaveLength(6);

    const medium = await t.udpRaw(buildQuery({ name: 'medium.huge.example.net', type: 'TXT', edns: { udpSize: 4096 } }));
    expect(medium.length).toBeLessThanOrEqual(1232);
    const r3 = decode(medium);
    expect(r3.flag_tc).toBe(true);
    expect(opt(r3)).toBeDefined();

    const small = await t.udpRaw(buildQuery({ name: 'big.example.com', type: 'TXT', edns: { udpSize: 600 } }));
    expect(small.length).toBeLessThanOrEqual(600);
    expect(decode(small).flag_tc).toBe(true);

    const viaTcp = await t.tcp({ name: 'medium.huge.example.net', type: 'TXT', edns: { udpSize: 4096 } });
    expect(viaTcp.flag_tc).toBe(false);
    expect(viaTcp.answers).toHaveLength(40);
  });

  it('an RRset over 64 KiB truncates even over TCP, never a cut record (RFC 2181 §9)', async () => {
    const raw = await t.tcpRaw(buildQuery({ name: 'huge.huge.example.net', type: 'TXT' }));
    expect(raw.length).toBeLessThanOrEqual(65535);
    const r = decode(raw);
    expect(r.flag_tc).toBe(true);
    expect(r.answers).toHaveLength(0);
  });
});

describe('client subnet (RFC 7871)', () => {
  it('a malformed ECS option is FORMERR (RFC 7871 §6)', async () => {
    const base = buildQuery({ name: 'www.example.com', type: 'A', edns: { ecs: { ip: '198.51.100.0', sourcePrefix: 24 } } });
    // The ECS option is the last 11 bytes: code(2) len(2) family(2) source(1) scope(1) addr(3).
    const variants: Record<string, (b: Buffer) => void> = {
      'family 3': (b) => b.writeUInt16BE(3, b.length - 7),
      'source 33': (b) => (b[b.length - 5] = 33),
      'scope set': (b) => (b[b.length - 4] = 8),
      'bits past prefix': (b) => (b[b.length - 5] = 20),
    };
    for (const [label, mutate] of Object.entries(variants)) {
      const b = Buffer.from(base);
      mutate(b);
      expect(decode(await t.udpRaw(b)).rcode, label).toBe('FORMERR');
    }
    expect(decode(await t.udpRaw(base)).rcode).toBe('NOERROR');
  });

  it('ECS is echoed with scope 0 for static data; no ECS in, none out (RFC 7871 §7.2.1)', async () => {
    for (const [ip, sourcePrefix] of [
      ['198.51.100.0', 24],
      ['2001:db8:1::', 48],
      ['0.0.0.0', 0],
    ] as const) {
      const r = await t.udp({ name: 'www.example.com', type: 'A', edns: { ecs: { ip, sourcePrefix } } });
      const ecs = (opt(r)!.options as Array<Record<string, unknown>>).find((o) => o.code === 8)!;
      expect(ecs, ip).toBeDefined();
      expect(ecs.sourcePrefixLength).toBe(sourcePrefix);
      expect(ecs.scopePrefixLength).toBe(0);
      expect(ecs.family).toBe(ip.includes(':') ? 2 : 1);
    }
    const none = await t.udp({ name: 'www.example.com', type: 'A', edns: {} });
    expect((opt(none)!.options as unknown[]).length).toBe(0);
  });
});

describe('TCP (RFC 7766)', () => {
  it('several queries in one segment, one query over several segments, replies matched by ID (RFC 7766 §6.2.1.1, §8)', async () => {
    const q1 = frame(buildQuery({ name: 'www.example.com', type: 'A', id: 1 }));
    const q2 = frame(buildQuery({ name: 'www.example.com', type: 'AAAA', id: 2 }));
    const q3 = frame(buildQuery({ name: 'nope.example.com', type: 'A', id: 3 }));
    const replies = await tcpExchange(t.host, t.port, [Buffer.concat([q1, q2]), q3.subarray(0, 1), q3.subarray(1, 9), q3.subarray(9)], 3);
    const byId = new Map(replies.map((b) => [decode(b).id, decode(b)]));
    expect(byId.get(1)!.answers![0]!.type).toBe('A');
    expect(byId.get(2)!.answers![0]!.type).toBe('AAAA');
    expect(byId.get(3)!.rcode).toBe('NXDOMAIN');
  });

  it('idle connections are closed after the timeout (RFC 7766 §6.2.3)', async () => {
    const socket = net.connect({ host: t.host, port: t.port });
    await new Promise((r) => socket.once('connect', r));
    const started = Date.now();
    await new Promise((r) => socket.once('close', r));
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(3000);
  });

  it('the connection cap holds under a flood, and UDP keeps answering (RFC 7766 §6.2.2)', async () => {
    const sockets = await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          new Promise<net.Socket>((resolve) => {
            const s = net.connect({ host: t.host, port: t.port });
            s.on('error', () => undefined);
            s.once('connect', () => resolve(s));
            s.once('close', () => resolve(s));
          }),
      ),
    );
    await eventually('server at its connection cap', () => t.server.tcpConnections() <= 8 && t.server.tcpConnections() > 0);
    expect(t.server.tcpConnections()).toBeLessThanOrEqual(8);
    expect((await t.udp({ name: 'www.example.com', type: 'A' })).rcode).toBe('NOERROR');
    for (const s of sockets) s.destroy();
    await eventually('connections released', () => t.server.tcpConnections() === 0);
    expect((await t.tcp({ name: 'www.example.com', type: 'A' })).rcode).toBe('NOERROR');
  });
});
