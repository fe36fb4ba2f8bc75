// Interop: Knot DNS and NSD as secondaries of steerdns. They bootstrap by AXFR with TSIG, take
// a NOTIFY (signed) for each new serial and serve it within 2 s, fetch a one-record change by
// IXFR, and then answer the static names exactly as steerdns does; a load-balanced name is not
// handed to them (`lb: omit`). In a second zone with `lb: snapshot` they serve the load-balanced
// name's default answer, and after a failover (an external health report) the new origin within
// a deadline. A request signed with a wrong key gets NOTAUTH and a log line.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransferSettings } from '../../src/xfr/settings.js';
import { captureLogger } from '../support/capture-logger.js';
import { eventually } from '../support/eventually.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { comparable, type DigReply, dig } from './dig.js';
import { type Secondary, type SecondaryKey, startKnotSecondary, startNsdSecondary } from './secondaries.js';
import { requireTools } from './tools.js';

const tools = requireTools(['dig', 'knotd', 'nsd'], 'zone transfer interop');

const ZONE = 'xfr.example';
const SNAP = 'snap.example';
const key: SecondaryKey = { name: 'xfr-key', algorithm: 'hmac-sha256', secret: randomBytes(32).toString('base64') };

function zoneText(serial: number, mailAddress: string): string {
  return `$TTL 300
@        IN SOA ns1 hostmaster ${serial} 3600 600 86400 300
@        IN NS  ns1
@        IN MX  10 mail
ns1      IN A   192.0.2.53
mail     IN A   ${mailAddress}
mail     IN AAAA 2001:db8::25
txt      IN TXT "static data" "in two strings"
alias    IN CNAME mail
*.wild   IN A   192.0.2.80
sub      IN NS  ns.sub
ns.sub   IN A   192.0.2.153
`;
}

const LB = `pools:
  main:
    origins:
      - { name: a, address: 192.0.2.10 }
load_balancers:
  www:
    default_pools: [main]
    fallback_pool: main
`;

const SNAP_ZONE = `$TTL 300
@    IN SOA ns1 hostmaster 1 3600 600 86400 300
@    IN NS  ns1
ns1  IN A   192.0.2.53
`;

const SNAP_LB = `monitors:
  feed: { type: external, expire_to: up, expire_after: 0 }
pools:
  primary:
    monitor: feed
    origins:
      - { name: p1, address: 192.0.2.10 }
  standby:
    origins:
      - { name: s1, address: 192.0.2.20 }
load_balancers:
  www: { default_pools: [primary, standby], ttl: 30 }
`;

describe.skipIf(tools === null)('Knot and NSD as secondaries of steerdns', () => {
  const t = tools!;
  let dir = '';
  let steer: TestServer;
  const log = captureLogger();
  const secondaries: Secondary[] = [];

  const settings = (notify: readonly string[]): TransferSettings => ({
    key_files: [path.join(dir, 'xfr.key')],
    snapshot_interval: 0.2,
    zones: {
      [ZONE]: { allow: ['127.0.0.0/8'], keys: [key.name], notify: [...notify], notify_key: key.name },
      [SNAP]: { allow: ['127.0.0.0/8'], keys: [key.name], notify: [...notify], notify_key: key.name, lb: 'snapshot' },
    },
  });
  const addressesAt = async (s: { host: string; port: number }, name: string): Promise<string[]> =>
    (await dig(t.dig, s.host, s.port, [name, 'A', '+norecurse', '+notcp'])).answer.map((r) => r.rdata).sort();

  const serialAt = async (s: { host: string; port: number }): Promise<number | null> => {
    const r = await dig(t.dig, s.host, s.port, [ZONE, 'SOA', '+norecurse', '+notcp']);
    const soa = r.answer.find((a) => a.type === 'SOA');
    return soa === undefined ? null : Number(soa.rdata.split(/\s+/)[2]);
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'steerdns-xfr-'));
    writeFileSync(path.join(dir, `${ZONE}.zone`), zoneText(1, '192.0.2.25'));
    writeFileSync(path.join(dir, `${ZONE}.lb.yaml`), LB);
    writeFileSync(path.join(dir, `${SNAP}.zone`), SNAP_ZONE);
    writeFileSync(path.join(dir, `${SNAP}.lb.yaml`), SNAP_LB);
    writeFileSync(path.join(dir, 'xfr.key'), `key "${key.name}" {\n\talgorithm ${key.algorithm};\n\tsecret "${key.secret}";\n};\n`);
    // The key file is read relative to nothing: settings carry absolute paths, as the config loader makes them.
    steer = await startTestServer({ zonesDir: dir, watch: false, probe: false, logger: log.logger, transfer: settings([]) });
    const opts = { zones: [ZONE, SNAP], primaryPort: steer.port, key };
    secondaries.push(await startKnotSecondary({ ...opts, binary: t.knotd }), await startNsdSecondary({ ...opts, binary: t.nsd }));
    // NOTIFY targets exist only now that the secondaries have ports: a live settings update.
    expect(steer.server.transfers!.update(settings(secondaries.map((s) => `${s.host}:${s.port}`)))).toBe(true);
    for (const s of secondaries) {
      await eventually(`${s.name} to load ${ZONE} by AXFR`, async () => (await serialAt(s)) === 1, {
        timeoutMs: 20_000,
        intervalMs: 100,
      }).catch((err: Error) => {
        throw new Error(`${err.message}\n${s.name} log:\n${s.log()}`);
      });
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(secondaries.map((s) => s.stop()));
    await steer?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('after a NOTIFY both serve the new serial within 2 s, and the one-record change goes by IXFR', async () => {
    const count = (outcome: string): number =>
      steer.server
        .transfers!.counters()
        .filter((c) => c.zone === ZONE && c.outcome === outcome)
        .reduce((n, c) => n + c.count, 0);
    const fullBefore = count('full');
    const incrementalBefore = count('incremental');
    writeFileSync(path.join(dir, `${ZONE}.zone`), zoneText(2, '192.0.2.26'));
    await steer.server.reload(true);
    const started = Date.now();
    await Promise.all(
      secondaries.map((s) =>
        eventually(`${s.name} to serve serial 2`, async () => (await serialAt(s)) === 2, { timeoutMs: 2000, intervalMs: 50 }).catch(
          (err: Error) => {
            throw new Error(`${err.message}\n${s.name} log:\n${s.log()}`);
          },
        ),
      ),
    );
    expect(Date.now() - started).toBeLessThan(2500);
    // Both pulled the change from the journal (two incremental replies, no whole zone)...
    expect(count('incremental') - incrementalBefore, JSON.stringify(steer.server.transfers!.counters())).toBe(2);
    expect(count('full')).toBe(fullBefore);
    // ...and say so: Knot names the IXFR, NSD logs the update it received.
    await eventually('knot to log the IXFR', () => /IXFR, incoming.*finished/.test(secondaries[0]!.log()), { timeoutMs: 2000 });
    await eventually('nsd to log the update', () => /received update to serial 2 .*TSIG verified/.test(secondaries[1]!.log()), {
      timeoutMs: 2000,
    });
    const acked = log.lines().filter((l) => typeof l.msg === 'string' && /NOTIFY for xfr\.example serial 2 acknowledged/.test(l.msg));
    expect(acked.length).toBe(2);
  });

  it('the secondaries answer the static names exactly like steerdns', async () => {
    const queries = [
      [ZONE, 'SOA'],
      [ZONE, 'MX'],
      [`mail.${ZONE}`, 'A'],
      [`txt.${ZONE}`, 'TXT'],
      [`alias.${ZONE}`, 'A'],
      [`x.wild.${ZONE}`, 'A'],
      [`nope.${ZONE}`, 'A'],
      [`mail.${ZONE}`, 'TXT'],
    ];
    const ask = (host: string, port: number, name: string, type: string) => dig(t.dig, host, port, [name, type, '+norecurse', '+notcp']);
    // The three servers at once per question: a dig is a process start, 30 in a row cost seconds.
    const replies: DigReply[][] = [];
    for (const [name, type] of queries)
      replies.push(await Promise.all([steer, ...secondaries].map((s) => ask(s.host, s.port, name!, type!))));
    queries.forEach(([name, type], i) => {
      const [ours, ...theirs] = replies[i]!;
      const a = comparable(ours!);
      secondaries.forEach((s, j) => {
        const b = comparable(theirs[j]!);
        const what = `${s.name}: ${name} ${type}`;
        expect(b.status, what).toBe(a.status);
        expect(b.aa, what).toBe(a.aa);
        expect(b.answer, what).toEqual(a.answer);
        // NSD leaves the authority section out of positive answers; Knot matches us in full.
        if (s.name === 'knot') expect(b.authority, what).toEqual(a.authority);
      });
    });
  });

  it('a load-balanced name stays with steerdns: secondaries get only its static data (lb: omit)', async () => {
    const ours = await dig(t.dig, steer.host, steer.port, [`www.${ZONE}`, 'A', '+norecurse', '+notcp']);
    expect(ours.answer.map((r) => r.rdata)).toEqual(['192.0.2.10']);
    for (const s of secondaries) {
      const theirs = await dig(t.dig, s.host, s.port, [`www.${ZONE}`, 'A', '+norecurse', '+notcp']);
      expect(theirs.status, s.name).toBe('NXDOMAIN');
    }
  });

  it('lb: snapshot: both serve the default answer, and the new origin within 5 s of a failover', async () => {
    const www = `www.${SNAP}`;
    expect(await addressesAt(steer, www)).toEqual(['192.0.2.10']);
    for (const s of secondaries) {
      await eventually(`${s.name} to serve the snapshot`, async () => (await addressesAt(s, www)).join() === '192.0.2.10', {
        timeoutMs: 20_000,
        intervalMs: 100,
      }).catch((err: Error) => {
        throw new Error(`${err.message}\n${s.name} log:\n${s.log()}`);
      });
    }
    expect(steer.server.external.report(SNAP, 'p1', { up: false, reason: 'failover test', ttl: 0 })).not.toBeNull();
    expect(await addressesAt(steer, www)).toEqual(['192.0.2.20']);
    await Promise.all(
      secondaries.map((s) =>
        eventually(`${s.name} to serve the standby`, async () => (await addressesAt(s, www)).join() === '192.0.2.20', {
          timeoutMs: 5000,
          intervalMs: 50,
        }).catch((err: Error) => {
          throw new Error(`${err.message}\n${s.name} log:\n${s.log()}`);
        }),
      ),
    );
    // The secondaries and the primary agree on the serial.
    for (const s of [steer, ...secondaries]) {
      const r = await dig(t.dig, s.host, s.port, [SNAP, 'SOA', '+norecurse', '+notcp']);
      expect(Number(r.answer.find((a) => a.type === 'SOA')?.rdata.split(/\s+/)[2])).toBe(steer.server.transfers!.offeredSerial(SNAP));
    }
    expect(steer.server.transfers!.offeredSerial(SNAP)).not.toBe(1);
  });

  it('a transfer signed with a wrong key is refused with NOTAUTH and logged', async () => {
    const wrong = randomBytes(32).toString('base64');
    const r = await dig(t.dig, steer.host, steer.port, [ZONE, 'AXFR', '-y', `hmac-sha256:${key.name}:${wrong}`]).catch(
      (err: Error) => err.message,
    );
    const text = typeof r === 'string' ? r : r.text;
    expect(text).toMatch(/BADSIG/);
    expect(text).not.toMatch(/192\.0\.2\.26/);
    const refused = log.lines().filter((l) => l.tsigError === 'BADSIG' && l.key === key.name);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    // Unsigned, from an allowed address: still refused, the zone names a key.
    const unsigned = await dig(t.dig, steer.host, steer.port, [ZONE, 'AXFR']).catch((err: Error) => err.message);
    expect(typeof unsigned === 'string' ? unsigned : unsigned.text).toMatch(/Transfer failed|REFUSED/);
  });
});
