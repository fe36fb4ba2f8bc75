// Interop for zone cuts, DS and DNAME: test/fixtures/cuts-dname served by Knot DNS and by
// steerdns, the same queries sent with dig to both, compared as in knot-vs-steerdns.test.ts
// (rcode, AA/TC, question, the three sections as RRsets with TTLs, OPT). A fixture of its own,
// because a DNAME and a second, child zone would change answers the main comparison relies on.
// Behaviours: docs/conformance.md, "Zone cuts, DS and DNAME".
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { comparable, commandLine, dig, type DigReply } from './dig.js';
import { knotAndSteerdns } from './knot.js';
import { requireTools } from './tools.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const zonesDir = path.join(here, '../fixtures/cuts-dname');

const tools = requireTools(['dig', 'knotd'], 'knot-vs-steerdns cuts/DS/DNAME interop');

interface Case {
  readonly what: string;
  readonly args: readonly string[];
}

const udp = (what: string, ...args: string[]): Case => ({ what, args: [...args, '+notcp', '+ignore'] });
const tcp = (what: string, ...args: string[]): Case => ({ what, args: [...args, '+tcp'] });
const Y60 = 'y'.repeat(60);

const CASES: readonly Case[] = [
  udp('CNAME into a delegation: the CNAME, then the referral, AA (RFC 1034 §4.3.2)', 'tosub.example.com', 'A'),
  udp('CNAME to the delegation point itself (RFC 1034 §4.3.2)', 'tocut.example.com', 'A'),
  udp('CNAME chain into a delegation (RFC 1034 §4.3.2)', 'chain.example.com', 'AAAA'),
  udp('CNAME into the delegation of a zone served beside its parent (RFC 1034 §4.3.2)', 'tochild.example.com', 'A'),
  tcp('CNAME into a delegation over TCP (RFC 7766 §5)', 'tosub.example.com', 'A'),
  udp('DS at a delegation is the parent answer (RFC 4035 §3.1.4.1)', 'sub.example.com', 'DS'),
  udp('DS at a delegation without DS is the parent NODATA (RFC 4035 §3.1.4.1)', 'nods.example.com', 'DS'),
  udp('DS at the apex of a served child comes from the served parent (RFC 4035 §3.1.4.1)', 'child.example.com', 'DS'),
  udp('other types at the served child apex come from the child (RFC 1034 §4.3.2)', 'child.example.com', 'SOA'),
  udp('DS below a delegation is a referral (RFC 4035 §3.1.4.1)', 'x.sub.example.com', 'DS'),
  udp('DS through a CNAME to the delegation point (RFC 4035 §3.1.4.1)', 'tocut.example.com', 'DS'),
  udp('DS at the apex of a zone whose parent is not served (RFC 4035 §3.1.4.1)', 'example.com', 'DS'),
  tcp('DS at a delegation over TCP (RFC 7766 §5)', 'sub.example.com', 'DS'),
  udp('DNAME rewrite with a synthesised CNAME (RFC 6672 §3.2)', 'www.d.example.com', 'A'),
  udp('DNAME then CNAME (RFC 6672 §3.2)', 'x.d.example.com', 'A'),
  udp('DNAME then CNAME then NODATA (RFC 6672 §3.2)', 'x.d.example.com', 'MX'),
  udp('DNAME to a missing name is NXDOMAIN (RFC 6672 §3.2, RFC 6604 §2.1)', 'nx.d.example.com', 'A'),
  udp('DNAME to DNAME (RFC 6672 §3.2)', 'www.d2.example.com', 'A'),
  udp('DNAME out of the zone (RFC 6672 §3.2)', 'www.out.example.com', 'A'),
  udp('DNAME into a delegation (RFC 6672 §3.2, RFC 1034 §4.3.2)', 'host.dsub.example.com', 'A'),
  udp('DNAME loop (RFC 6672 §3.2)', 'x.la.example.com', 'A'),
  udp('DNAME rewrite just under 255 octets (RFC 6672 §2.2)', `${Y60}.long.example.com`, 'A'),
  udp('DNAME rewrite over 255 octets is YXDOMAIN (RFC 6672 §2.2)', `${Y60}.${Y60}.long.example.com`, 'A'),
  udp('qtype DNAME at the DNAME owner (RFC 6672 §3.2)', 'd.example.com', 'DNAME'),
  udp('other data at the DNAME owner (RFC 6672 §2.3)', 'd.example.com', 'A'),
  udp('qtype CNAME at the DNAME owner is NODATA (RFC 6672 §2.3)', 'd.example.com', 'CNAME'),
  udp('qtype CNAME below a DNAME: the synthesised CNAME (RFC 6672 §3.2)', 'www.d.example.com', 'CNAME'),
  udp('qtype DNAME below a DNAME follows the rewrite (RFC 6672 §3.2)', 'www.d.example.com', 'DNAME'),
  udp('ANY below a DNAME follows the rewrite (RFC 6672 §3.2, RFC 8482 §4.1)', 'www.d.example.com', 'ANY'),
  tcp('DNAME rewrite over TCP (RFC 7766 §5)', 'www.d.example.com', 'A'),
];

/** A section's records as "owner type rdata" (no TTL), each once, sorted. */
function distinct(r: DigReply): string[] {
  return [...new Set(r.answer.filter((a) => a.type !== 'OPT').map((a) => `${a.owner} ${a.ttl} ${a.type} ${a.rdata}`))].sort();
}

/**
 * How far a loop is followed is the server's choice (RFC 6672 §3.2 and RFC 1034 §3.6.2 ask only
 * that it stops): Knot repeats synthesised CNAMEs a few times, steerdns stops at the first name
 * seen twice. Compared: the header, and the same records once each.
 */
const loopException = (steer: DigReply, knot: DigReply): void => {
  const { answer: _s, ...steerRest } = comparable(steer);
  const { answer: _k, ...knotRest } = comparable(knot);
  expect(steerRest).toEqual(knotRest);
  expect(distinct(steer)).toEqual(distinct(knot));
  expect(steer.answer.length).toBe(distinct(steer).length);
};

const EXCEPTIONS: ReadonlyMap<string, (steer: DigReply, knot: DigReply) => void> = new Map([['DNAME loop (RFC 6672 §3.2)', loopException]]);

describe.skipIf(!tools)('Knot DNS and steerdns agree on zone cuts, DS and DNAME (dig)', () => {
  const servers = knotAndSteerdns(() => tools!.knotd, zonesDir);

  it.each(CASES.map((c) => [`${c.what} — dig ${c.args.join(' ')}`, c] as const))('%s', async (_label, c) => {
    const args = ['+norecurse', ...c.args];
    const [k, s] = await Promise.all([
      dig(tools!.dig, servers.knot!.host, servers.knot!.port, args),
      dig(tools!.dig, servers.steer!.host, servers.steer!.port, args),
    ]);
    const where =
      `\n  knot:     ${commandLine('dig', [`@${servers.knot!.host}`, '-p', String(servers.knot!.port), ...args])}` +
      `\n  steerdns: ${commandLine('dig', [`@${servers.steer!.host}`, '-p', String(servers.steer!.port), ...args])}`;
    expect(s.transport, where).toBe(c.args.includes('+tcp') ? 'TCP' : 'UDP');
    expect(k.transport, where).toBe(s.transport);
    const exception = EXCEPTIONS.get(c.what);
    if (exception) {
      exception(s, k);
      return;
    }
    expect(comparable(s), `steerdns differs from Knot${where}\n--- knot:\n${k.text}\n--- steerdns:\n${s.text}`).toEqual(comparable(k));
  });

  it('names every exception after a case', () => {
    expect(new Set(CASES.map((c) => c.what)).size).toBe(CASES.length);
    for (const what of EXCEPTIONS.keys())
      expect(
        CASES.some((c) => c.what === what),
        what,
      ).toBe(true);
  });
});
