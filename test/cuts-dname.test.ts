// Zone cuts, DS and DNAME answered by the real server over real UDP and TCP (docs/conformance.md,
// "Zone cuts, DS and DNAME"). The zones are test/fixtures/cuts-dname: example.com delegates
// sub, nods and child, and child.example.com is served too.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecodedReply, DecodedRR } from './support/dns-client.js';
import { startTestServer, type TestServer } from './support/server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const zonesDir = path.join(here, 'fixtures/cuts-dname');

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ zonesDir, watch: false, probe: false });
});
afterAll(async () => {
  await t?.close();
});

/** "owner TYPE data" per record, in section order (order matters in a chain). */
function rrs(section: readonly DecodedRR[] | undefined): string[] {
  return (section ?? [])
    .filter((a) => a.type !== 'OPT')
    .map((a) => {
      const d = a.data;
      if (a.type === 'DS') {
        const ds = d as { keyTag: number; algorithm: number; digestType: number; digest: Buffer };
        return `${a.name} DS ${ds.keyTag} ${ds.algorithm} ${ds.digestType} ${ds.digest.toString('hex')}`;
      }
      return `${a.name} ${a.type} ${typeof d === 'string' ? d : JSON.stringify(d)}`;
    });
}

const SUB_NS = ['sub.example.com NS ns.sub.example.com', 'sub.example.com NS ns1.example.com'];
const SUB_GLUE = ['ns.sub.example.com A 192.0.2.40', 'ns.sub.example.com AAAA 2001:db8::40', 'ns1.example.com A 192.0.2.1'];
const SUB_DS = 'sub.example.com DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const PARENT_SOA_OWNER = 'example.com';
const D = 'd.example.com DNAME e.example.com';

describe.each(['udp', 'tcp'] as const)('over %s', (via) => {
  // With EDNS (1232 bytes): the long DNAME rewrites do not fit the 512 bytes of a plain UDP reply.
  const ask = (name: string, type: string): Promise<DecodedReply> =>
    via === 'udp' ? t.udp({ name, type, edns: {} }) : t.tcp({ name, type, edns: {} });

  describe('a CNAME into a delegation (RFC 1034 §4.3.2 step 3.b)', () => {
    it('gets the CNAME with AA, then the referral: child NS in authority, glue in additional', async () => {
      const r = await ask('tosub.example.com', 'A');
      expect(r.rcode).toBe('NOERROR');
      expect(r.flag_aa).toBe(true);
      expect(rrs(r.answers)).toEqual(['tosub.example.com CNAME host.sub.example.com']);
      expect(rrs(r.authorities)).toEqual(SUB_NS);
      expect(rrs(r.additionals)).toEqual(SUB_GLUE);
    });

    it('a chain of CNAMEs into a delegation keeps every link', async () => {
      const r = await ask('chain.example.com', 'AAAA');
      expect(r.flag_aa).toBe(true);
      expect(rrs(r.answers)).toEqual(['chain.example.com CNAME tosub.example.com', 'tosub.example.com CNAME host.sub.example.com']);
      expect(rrs(r.authorities)).toEqual(SUB_NS);
    });

    it('a CNAME to a delegation to a zone also served here is not followed into that zone', async () => {
      const r = await ask('tochild.example.com', 'A');
      expect(r.flag_aa).toBe(true);
      expect(rrs(r.answers)).toEqual(['tochild.example.com CNAME www.child.example.com']);
      expect(rrs(r.authorities)).toEqual(['child.example.com NS ns1.child.example.com']);
      expect(rrs(r.additionals)).toEqual(['ns1.child.example.com A 192.0.2.50']);
    });

    it('a plain referral still has AA clear', async () => {
      const r = await ask('host.sub.example.com', 'A');
      expect(r.flag_aa).toBe(false);
      expect(r.answers).toEqual([]);
      expect(rrs(r.authorities)).toEqual(SUB_NS);
    });
  });

  describe('DS on the parent side of a zone cut (RFC 4035 §3.1.4.1, RFC 4034 §5)', () => {
    it('DS at a delegation is the parent’s authoritative answer', async () => {
      const r = await ask('sub.example.com', 'DS');
      expect(r.rcode).toBe('NOERROR');
      expect(r.flag_aa).toBe(true);
      expect(rrs(r.answers)).toEqual([SUB_DS]);
      expect(r.authorities).toEqual([]);
    });

    it('DS at a delegation without DS records is NODATA with the parent SOA', async () => {
      const r = await ask('nods.example.com', 'DS');
      expect(r.rcode).toBe('NOERROR');
      expect(r.flag_aa).toBe(true);
      expect(r.answers).toEqual([]);
      expect(r.authorities.map((a) => `${a.name} ${a.type}`)).toEqual([`${PARENT_SOA_OWNER} SOA`]);
    });

    it('DS for the apex of a served child comes from the served parent', async () => {
      const r = await ask('child.example.com', 'DS');
      expect(r.flag_aa).toBe(true);
      expect(rrs(r.answers)).toEqual(['child.example.com DS 54321 13 2 fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210']);
      // Every other type at that name is the child's.
      const soa = await ask('child.example.com', 'SOA');
      expect(soa.answers.map((a) => `${a.name} ${a.type}`)).toEqual(['child.example.com SOA']);
    });

    it('DS below a delegation is a referral', async () => {
      const r = await ask('x.sub.example.com', 'DS');
      expect(r.flag_aa).toBe(false);
      expect(rrs(r.authorities)).toEqual(SUB_NS);
    });
  });

  describe('DNAME (RFC 6672)', () => {
    it('rewrites a name below its owner: the DNAME, a synthesised CNAME with its TTL, the answer at the new name (§3.2)', async () => {
      const r = await ask('www.d.example.com', 'A');
      expect(r.rcode).toBe('NOERROR');
      expect(r.flag_aa).toBe(true);
      expect(rrs(r.answers)).toEqual([D, 'www.d.example.com CNAME www.e.example.com', 'www.e.example.com A 192.0.2.61']);
      expect(r.answers[1]!.ttl).toBe(r.answers[0]!.ttl);
    });

    it('follows a CNAME and a further DNAME after the rewrite', async () => {
      const viaCname = await ask('x.d.example.com', 'A');
      expect(rrs(viaCname.answers)).toEqual([
        D,
        'x.d.example.com CNAME x.e.example.com',
        'x.e.example.com CNAME www.e.example.com',
        'www.e.example.com A 192.0.2.61',
      ]);
      const twice = await ask('www.d2.example.com', 'A');
      expect(rrs(twice.answers)).toEqual([
        'd2.example.com DNAME d.example.com',
        'www.d2.example.com CNAME www.d.example.com',
        D,
        'www.d.example.com CNAME www.e.example.com',
        'www.e.example.com A 192.0.2.61',
      ]);
    });

    it('a rewrite to a missing name is NXDOMAIN with the DNAME and CNAME (RFC 6604 §2.1)', async () => {
      const r = await ask('nx.d.example.com', 'A');
      expect(r.rcode).toBe('NXDOMAIN');
      expect(rrs(r.answers)).toEqual([D, 'nx.d.example.com CNAME nx.e.example.com']);
    });

    it('a rewrite out of the zone ends with the synthesised CNAME', async () => {
      const r = await ask('www.out.example.com', 'A');
      expect(rrs(r.answers)).toEqual(['out.example.com DNAME example.net', 'www.out.example.com CNAME www.example.net']);
    });

    it('a DNAME loop stops', async () => {
      const r = await ask('x.la.example.com', 'A');
      expect(r.rcode).toBe('NOERROR');
      expect(rrs(r.answers)).toEqual([
        'la.example.com DNAME lb.example.com',
        'x.la.example.com CNAME x.lb.example.com',
        'lb.example.com DNAME la.example.com',
        'x.lb.example.com CNAME x.la.example.com',
      ]);
    });

    it('a rewrite into a delegation ends in the referral, AA set', async () => {
      const r = await ask('host.dsub.example.com', 'A');
      expect(r.flag_aa).toBe(true);
      expect(rrs(r.answers)).toEqual(['dsub.example.com DNAME sub.example.com', 'host.dsub.example.com CNAME host.sub.example.com']);
      expect(rrs(r.authorities)).toEqual(SUB_NS);
      expect(rrs(r.additionals)).toEqual(SUB_GLUE);
    });

    it('a rewrite longer than 255 octets is YXDOMAIN with the DNAME (§2.2)', async () => {
      const label = 'y'.repeat(60);
      const fits = await ask(`${label}.long.example.com`, 'A');
      expect(fits.rcode).toBe('NOERROR');
      expect(fits.flag_tc).toBe(false);
      expect(fits.answers.map((a) => a.type)).toEqual(['DNAME', 'CNAME']);
      const r = await ask(`${label}.${label}.long.example.com`, 'A');
      expect(r.rcode).toBe('YXDOMAIN');
      expect(r.flag_aa).toBe(true);
      expect(r.answers.map((a) => `${a.name} ${a.type}`)).toEqual(['long.example.com DNAME']);
    });

    it('the DNAME owner answers normally: DNAME for qtype DNAME, its other data otherwise', async () => {
      const dname = await ask('d.example.com', 'DNAME');
      expect(rrs(dname.answers)).toEqual([D]);
      const a = await ask('d.example.com', 'A');
      expect(rrs(a.answers)).toEqual(['d.example.com A 192.0.2.60']);
    });

    it('qtype CNAME below a DNAME gets the synthesised CNAME, not followed', async () => {
      const r = await ask('x.d.example.com', 'CNAME');
      expect(rrs(r.answers)).toEqual([D, 'x.d.example.com CNAME x.e.example.com']);
    });
  });
});
