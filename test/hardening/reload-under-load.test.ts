// 100 reloads, alternating zone-file and LB-file changes, while a UDP load generator keeps
// queries in flight: no query is lost, and every answer comes wholly from a configuration that
// was current at some moment between sending the query and reading the reply.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { UdpClient } from './support.js';

const RELOADS = 100;
const CONCURRENCY = 16;

/** Zone version k: `ver` is a CNAME to `v<k>`, whose TXT says k (a mixed answer would show). */
const zoneText = (k: number): string => `$TTL 300
@   IN SOA ns hostmaster ${k} 3600 600 86400 60
    IN NS  ns
ns  IN A   192.0.2.1
ver IN CNAME v${k}
v${k} IN TXT "${k}"
`;

/** LB version k: `lb` answers both origins of one pool, each naming k in its last octet. */
const lbText = (k: number): string => `pools:
  main:
    origin_steering: { policy: all }
    origins:
      - { name: a, address: 192.0.2.${k % 250} }
      - { name: b, address: 198.51.100.${k % 250} }
load_balancers:
  lb:
    default_pools: [main]
`;

/** Write through a temp file and rename, as a config tool does. */
function replaceFile(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.tmp-${path.basename(file)}`);
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

let dir: string;
let t: TestServer;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-rul-'));
  fs.writeFileSync(path.join(dir, 'load.test.zone'), zoneText(0));
  fs.writeFileSync(path.join(dir, 'load.test.lb.yaml'), lbText(0));
  t = await startTestServer({ zonesDir: dir, watch: false, probe: false });
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('reload under load', () => {
  it(`${RELOADS} zone and LB reloads under continuous UDP load: nothing lost, no mixed or stale answer`, async () => {
    // versions[r] = [zone version, LB version] once r reloads have completed.
    const versions: [number, number][] = [[0, 0]];
    let completed = 0;
    let stop = false;
    let answered = 0;
    const problems: string[] = [];
    const udp = await UdpClient.open(t.host, t.port);

    /** The versions a query in flight from `sent` to `received` reloads may legitimately see. */
    const allowed = (sent: number, received: number, which: 0 | 1): Set<number> => {
      const out = new Set<number>();
      for (let r = sent; r <= Math.min(received + 1, versions.length - 1); r++) out.add(versions[r]![which]);
      return out;
    };

    const worker = async (n: number): Promise<void> => {
      for (let i = 0; !stop && i < 100_000; i++) {
        const sent = completed;
        if ((i + n) % 2 === 0) {
          const { reply } = await udp.query({ name: 'ver.load.test', type: 'TXT' }, 3000);
          const received = completed;
          const cname = String(reply.answers[0]?.data ?? '');
          const txt = (reply.answers[1]?.data as Buffer[] | undefined)?.map(String).join('') ?? '';
          const k = Number(txt);
          if (reply.rcode !== 'NOERROR' || cname !== `v${txt}.load.test` || !allowed(sent, received, 0).has(k)) {
            problems.push(`zone answer ${reply.rcode} ${cname} "${txt}" between reloads ${sent} and ${received}`);
          }
        } else {
          const { reply } = await udp.query({ name: 'lb.load.test', type: 'A' }, 3000);
          const received = completed;
          const addrs = reply.answers.map((a) => String(a.data)).sort();
          const k = Number(addrs[0]?.split('.')[3]);
          if (reply.rcode !== 'NOERROR' || addrs.join() !== `192.0.2.${k},198.51.100.${k}` || !allowed(sent, received, 1).has(k)) {
            problems.push(`LB answer ${reply.rcode} ${addrs.join()} between reloads ${sent} and ${received}`);
          }
        }
        answered++;
      }
    };
    // A lost query rejects its worker (UdpClient times out), which fails the test.
    const load = Promise.all(Array.from({ length: CONCURRENCY }, (_, n) => worker(n)));

    for (let r = 1; r <= RELOADS; r++) {
      const [zv, lv] = versions[r - 1]!;
      const next: [number, number] = r % 2 === 0 ? [r, lv] : [zv, r];
      versions.push(next);
      if (r % 2 === 0) replaceFile(path.join(dir, 'load.test.zone'), zoneText(r));
      else replaceFile(path.join(dir, 'load.test.lb.yaml'), lbText(r));
      const outcome = await t.server.reload(true);
      expect(outcome.errors).toEqual([]);
      completed = r;
      // Let some queries run against each version.
      const target = answered + 20;
      while (answered < target) await new Promise((res) => setImmediate(res));
    }
    stop = true;
    await load;
    await udp.close();

    expect(problems).toEqual([]);
    expect(answered).toBeGreaterThan(RELOADS * 20);
    expect(udp.unmatched).toBe(0);
    // The final configuration is the last one written.
    const last = await t.udp({ name: 'ver.load.test', type: 'TXT' });
    expect(last.answers[0]!.data).toBe(`v${RELOADS}.load.test`);
    const lb = await t.udp({ name: 'lb.load.test', type: 'A' });
    expect(lb.answers.map((a) => a.data).sort()).toEqual([`192.0.2.${RELOADS - 1}`, `198.51.100.${RELOADS - 1}`]);
  });
});
