// Online signing on the wire, against a real server on loopback: DO=0 replies are the bytes an
// unsigned server sends; DO=1 replies carry an RRSIG per authoritative RRset, and negative
// answers take RFC 9824's compact shapes (its §3 examples: NXDOMAIN as NOERROR with one NSEC
// "qname \000.qname RRSIG NSEC NXNAME", NODATA with the name's types, an empty non-terminal with
// RRSIG NSEC only); referrals carry the no-DS proof; big signed replies truncate whole; a broken
// key at reload keeps the previous signing state.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Algorithm } from '../src/dnssec/algorithms.js';
import { SteerMetrics } from '../src/http/metrics.js';
import { buildStatus } from '../src/http/status.js';
import { buildQuery, type DecodedReply, type DecodedRR } from './support/dns-client.js';
import { writeTestKey, type TestKey } from './support/dnssec-keys.js';
import { startTestServer, type TestServer } from './support/server.js';

const ZONE = `$TTL 3600
@           IN SOA ns1 hostmaster 1 3600 600 86400 300
            IN NS  ns1
            IN MX  10 mail
ns1         IN A   192.0.2.53
mail        IN A   192.0.2.25
www         IN A   192.0.2.1
            IN AAAA 2001:db8::1
alias       IN CNAME www
dangling    IN CNAME nothing
a.b.ent     IN TXT "below an empty non-terminal"
*.wild      IN A   192.0.2.80
big         IN TXT ${Array.from({ length: 12 }, (_, i) => `"${String(i).padStart(2, '0')}${'x'.repeat(90)}"`).join(' ')}
sub         IN NS  ns.sub
ns.sub      IN A   192.0.2.153
secure      IN NS  ns.secure
            IN DS  12345 13 2 ${'ab'.repeat(32)}
ns.secure   IN A   192.0.2.154
`;

const QUESTIONS: readonly [string, string][] = [
  ['example.com', 'SOA'],
  ['example.com', 'MX'],
  ['www.example.com', 'A'],
  ['alias.example.com', 'AAAA'],
  ['nope.example.com', 'A'],
  ['www.example.com', 'TXT'],
  ['x.wild.example.com', 'A'],
  ['host.sub.example.com', 'A'],
  ['ent.example.com', 'A'],
  ['big.example.com', 'TXT'],
];

let dir: string;
let signed: TestServer;
let plain: TestServer;
let key: TestKey;
let keysDir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-dnssec-wire-'));
  const zonesDir = path.join(dir, 'zones');
  keysDir = path.join(dir, 'keys');
  fs.mkdirSync(zonesDir);
  fs.writeFileSync(path.join(zonesDir, 'example.com.zone'), ZONE);
  key = writeTestKey(keysDir, 'example.com', Algorithm.ED25519);
  signed = await startTestServer({ zonesDir, keysDir, watch: false });
  plain = await startTestServer({ zonesDir, watch: false });
});

afterAll(async () => {
  await signed?.close();
  await plain?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const ask = (server: TestServer, name: string, type: string, udpSize = 1232, tcp = false): Promise<DecodedReply> => {
  const spec = { name, type, rd: false, edns: { dnssecOk: true, udpSize } };
  return tcp ? server.tcp(spec) : server.udp(spec);
};

/** "owner TYPE" per record, RRSIGs as "owner RRSIG(covered)". */
const shape = (rrs: readonly DecodedRR[]): string[] =>
  rrs.map(
    (rr) => `${rr.name.toLowerCase()} ${rr.type === 'RRSIG' ? `RRSIG(${(rr.data as { typeCovered: string }).typeCovered})` : rr.type}`,
  );

/** The NSEC of the authority section (dns-packet gives a name's \000 byte as U+0000). */
const nsec = (r: DecodedReply): { owner: string; next: string; types: string[] } => {
  const rr = r.authorities.find((x) => x.type === 'NSEC')!;
  const data = rr.data as { nextDomain: string; rrtypes: string[] };
  return { owner: rr.name, next: data.nextDomain, types: data.rrtypes };
};

describe('DO=0 is untouched', () => {
  it('replies without DO are byte for byte those of the same zone served unsigned', async () => {
    for (const [name, type] of QUESTIONS) {
      for (const edns of [undefined, { udpSize: 1232 }]) {
        const packet = buildQuery({ name, type, id: 4242, rd: false, edns });
        const [a, b] = await Promise.all([signed.udpRaw(packet), plain.udpRaw(packet)]);
        expect(a.toString('hex'), `${name} ${type}`).toBe(b.toString('hex'));
      }
    }
  });

  it('DNSKEY and CDS are published at the apex whatever DO says', async () => {
    const r = await signed.udp({ name: 'example.com', type: 'DNSKEY', rd: false });
    expect(shape(r.answers)).toEqual(['example.com DNSKEY']);
    const cds = await signed.udp({ name: 'example.com', type: 'CDS', rd: false });
    // dns-packet leaves CDS undecoded: the key tag is the first two bytes of the RDATA.
    expect((cds.answers[0]!.data as Buffer).readUInt16BE(0)).toBe(key.tag);
  });
});

describe('DO=1: signatures', () => {
  it('every answer RRset has its RRSIG with TTL = the RRset TTL, the key tag, inception an hour back', async () => {
    const r = await ask(signed, 'alias.example.com', 'AAAA');
    expect(shape(r.answers)).toEqual([
      'alias.example.com CNAME',
      'alias.example.com RRSIG(CNAME)',
      'www.example.com AAAA',
      'www.example.com RRSIG(AAAA)',
    ]);
    const sig = r.answers[1]!;
    const data = sig.data as {
      keyTag: number;
      labels: number;
      inception: number;
      expiration: number;
      signersName: string;
      algorithm: number;
    };
    expect([sig.ttl, data.keyTag, data.labels, data.signersName, data.algorithm]).toEqual([3600, key.tag, 3, 'example.com', 15]);
    const now = Date.now() / 1000;
    expect(now - data.inception).toBeGreaterThan(3500);
    expect(now - data.inception).toBeLessThan(3700);
    expect(data.expiration - now).toBeGreaterThan(12 * 86400);
  });

  it('a wildcard expansion is signed as the wildcard (labels 3) with an NSEC covering the name', async () => {
    const r = await ask(signed, 'x.wild.example.com', 'A');
    expect(shape(r.answers)).toEqual(['x.wild.example.com A', 'x.wild.example.com RRSIG(A)']);
    expect((r.answers[1]!.data as { labels: number }).labels).toBe(3);
    const proof = nsec(r);
    expect(proof.owner.endsWith('.wild.example.com')).toBe(true);
    expect(proof.next).toBe('x\u0000.wild.example.com');
  });
});

describe('DO=1: compact denial (RFC 9824)', () => {
  it('NXDOMAIN is NOERROR with SOA and one NSEC: qname → \\000.qname, RRSIG NSEC NXNAME', async () => {
    const r = await ask(signed, 'nope.example.com', 'A');
    expect([r.rcode, r.flag_aa, r.answers.length]).toEqual(['NOERROR', true, 0]);
    expect(shape(r.authorities)).toEqual([
      'example.com SOA',
      'example.com RRSIG(SOA)',
      'nope.example.com NSEC',
      'nope.example.com RRSIG(NSEC)',
    ]);
    expect(nsec(r)).toEqual({ owner: 'nope.example.com', next: '\u0000.nope.example.com', types: ['RRSIG', 'NSEC', 'UNKNOWN_128'] });
    expect(r.authorities[3]!.ttl).toBe(300); // the negative TTL: min(SOA TTL, MINIMUM)
  });

  it('NODATA: NSEC at the name with the types it has; at the apex DNSKEY and CDS/CDNSKEY too', async () => {
    const r = await ask(signed, 'www.example.com', 'TXT');
    expect(nsec(r)).toEqual({ owner: 'www.example.com', next: '\u0000.www.example.com', types: ['A', 'AAAA', 'RRSIG', 'NSEC'] });
    const apex = await ask(signed, 'example.com', 'TXT');
    expect(nsec(apex).types).toEqual(['NS', 'SOA', 'MX', 'RRSIG', 'NSEC', 'DNSKEY', 'CDS', 'CDNSKEY']);
  });

  it('an empty non-terminal: NSEC with RRSIG NSEC only (no NXNAME: the name exists)', async () => {
    const r = await ask(signed, 'ent.example.com', 'A');
    expect(nsec(r)).toEqual({ owner: 'ent.example.com', next: '\u0000.ent.example.com', types: ['RRSIG', 'NSEC'] });
  });

  it('a CNAME to a missing name: the chain signed, the NSEC about the target', async () => {
    const r = await ask(signed, 'dangling.example.com', 'A');
    expect(shape(r.answers)).toEqual(['dangling.example.com CNAME', 'dangling.example.com RRSIG(CNAME)']);
    expect(nsec(r).owner).toBe('nothing.example.com');
  });

  it('a wildcard without the type: NSEC at the name with the wildcard types', async () => {
    const r = await ask(signed, 'x.wild.example.com', 'TXT');
    expect(nsec(r)).toEqual({ owner: 'x.wild.example.com', next: '\u0000.x.wild.example.com', types: ['A', 'RRSIG', 'NSEC'] });
  });
});

describe('DO=1: delegations', () => {
  it('a referral without DS: NS and glue unsigned, NSEC at the cut showing NS without DS, signed; AA clear', async () => {
    const r = await ask(signed, 'host.sub.example.com', 'A');
    expect(r.flag_aa).toBe(false);
    expect(shape(r.authorities)).toEqual(['sub.example.com NS', 'sub.example.com NSEC', 'sub.example.com RRSIG(NSEC)']);
    expect(nsec(r).types).toEqual(['NS', 'RRSIG', 'NSEC']);
    expect(shape(r.additionals)).toEqual(['ns.sub.example.com A', '. OPT']);
  });

  it('a referral with DS carries the DS and its RRSIG', async () => {
    const r = await ask(signed, 'host.secure.example.com', 'A');
    expect(shape(r.authorities)).toEqual(['secure.example.com NS', 'secure.example.com DS', 'secure.example.com RRSIG(DS)']);
  });

  it('DS asked at a cut without DS: signed NODATA whose NSEC shows NS', async () => {
    const r = await ask(signed, 'sub.example.com', 'DS');
    expect([r.rcode, r.flag_aa]).toEqual(['NOERROR', true]);
    expect(nsec(r)).toEqual({ owner: 'sub.example.com', next: '\u0000.sub.example.com', types: ['NS', 'RRSIG', 'NSEC'] });
  });
});

describe('DO=1: size', () => {
  it('a signed reply too big for UDP is cut at a whole RRset with TC set; TCP carries it all', async () => {
    const udp = await ask(signed, 'big.example.com', 'TXT', 1232);
    const tcp = await ask(signed, 'big.example.com', 'TXT', 1232, true);
    expect(shape(tcp.answers)).toEqual(['big.example.com TXT', 'big.example.com RRSIG(TXT)']);
    expect(udp.flag_tc).toBe(true);
    expect(udp.answers.every((rr) => rr.type === 'TXT')).toBe(true); // the TXT RRset whole, its RRSIG did not fit
    const small = await ask(signed, 'www.example.com', 'A', 512);
    expect([small.flag_tc, shape(small.answers)]).toEqual([false, ['www.example.com A', 'www.example.com RRSIG(A)']]);
  });
});

describe('reload', () => {
  it('a broken key keeps the previous signing state; a good key set is taken at the next reload', async () => {
    const before = await ask(signed, 'www.example.com', 'A');
    expect((before.answers[1]!.data as { keyTag: number }).keyTag).toBe(key.tag);
    const extra = writeTestKey(keysDir, 'example.com', Algorithm.ECDSAP256SHA256);
    const privateFile = path.join(extra.dir, `${extra.base}.private`);
    fs.chmodSync(privateFile, 0o644);
    const outcome = await signed.server.reload(false);
    expect(outcome.errors.map((e) => e.code)).toEqual(['STEER_DNSSEC_KEY_PERMISSIONS']);
    expect(outcome.errors[0]!.describe()).toContain(privateFile);
    const still = await ask(signed, 'www.example.com', 'A');
    expect(still.answers.filter((rr) => rr.type === 'RRSIG').map((rr) => (rr.data as { keyTag: number }).keyTag)).toEqual([key.tag]);

    fs.chmodSync(privateFile, 0o600);
    const fixed = await signed.server.reload(false);
    expect(fixed.errors).toEqual([]);
    const both = await ask(signed, 'www.example.com', 'A');
    const tags = both.answers.filter((rr) => rr.type === 'RRSIG').map((rr) => (rr.data as { keyTag: number }).keyTag);
    expect(tags.sort()).toEqual([key.tag, extra.tag].sort());
  });
});

describe('signature cache, status and metrics', () => {
  it('an RRset is signed once, then its signature is reused (ECS queries skip the reply cache)', async () => {
    const stats = signed.server.pipeline.signer.stats;
    const ecs = (ip: string) =>
      signed.udp({ name: 'mail.example.com', type: 'A', rd: false, edns: { dnssecOk: true, ecs: { ip, sourcePrefix: 24 } } });
    await ecs('198.51.100.1');
    const { hits, misses } = stats;
    const again = await ecs('203.0.113.1');
    expect(again.answers[0]!.type).toBe('A');
    expect(again.answers.slice(1).every((rr) => rr.type === 'RRSIG')).toBe(true);
    expect([stats.misses - misses, stats.hits - hits]).toEqual([0, 1]);
  });

  it("the status API shows each signed zone's keys, DS and next signature expiry; metrics count signatures", async () => {
    const status = buildStatus(signed.server, null);
    const zone = status.zones.find((z) => z.name === 'example.com')!;
    expect(zone.dnssec?.keys.map((k) => [k.tag, k.role, k.active])).toContainEqual([key.tag, 'KSK', true]);
    expect(zone.dnssec?.ds.some((ds) => ds.startsWith(`example.com. IN DS ${key.tag} 15 2 `))).toBe(true);
    expect(zone.dnssec?.nextSignatureExpiry).toBeGreaterThan(Date.now() + 12 * 86_400_000);
    expect(buildStatus(plain.server, null).zones[0]!.dnssec).toBeNull();

    const metrics = new SteerMetrics({ defaultMetrics: false });
    const detach = metrics.attach(signed.server);
    const text = await metrics.registry.metrics();
    detach();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('steerdns_dnssec_signatures_total')).toBeGreaterThan(5);
    const signs = (alg: number) =>
      Number(new RegExp(`^steerdns_dnssec_sign_seconds_count\\{algorithm="${alg}"\\} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(signs(13) + signs(15)).toBe(value('steerdns_dnssec_signatures_total'));
    expect(text).toMatch(/^steerdns_dnssec_cache_lookups_total\{result="hit"\} [1-9]/m);
  });
});
