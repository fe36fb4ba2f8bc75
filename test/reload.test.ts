// Reload: file changes are picked up by the watcher, swapped in atomically, and a broken file
// keeps the previous version serving.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';
import type { DecodedReply } from './support/dns-client.js';
import { eventually } from './support/eventually.js';

const zoneText = (serial: number, version: string): string => `$TTL 300
@      IN SOA ns hostmaster ${serial} 3600 600 86400 60
       IN NS  ns
ns     IN A   192.0.2.1
start  IN CNAME v${version}-target
v${version}-target IN TXT "${version}"
`;

let dir: string;
let t: TestServer;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-reload-'));
  fs.writeFileSync(path.join(dir, 'reload.test.zone'), zoneText(1, '1'));
  t = await startTestServer({ zonesDir: dir, reloadDebounceMs: 30 });
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const serialOf = async (): Promise<number> => {
  const r = await t.udp({ name: 'reload.test', type: 'SOA' });
  return (r.answers[0]!.data as { serial: number }).serial;
};

/** Write through a temp file and rename, as careful editors and config tools do. */
function replaceFile(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

describe('zone reload', () => {
  it('picks up a changed file by itself, and the new serial shows', async () => {
    expect(await serialOf()).toBe(1);
    fs.writeFileSync(path.join(dir, 'reload.test.zone'), zoneText(2, '2'));
    await eventually('serial 2 served', async () => (await serialOf()) === 2);
    const r = await t.udp({ name: 'start.reload.test', type: 'TXT' });
    expect(r.answers.map((a) => a.type)).toEqual(['CNAME', 'TXT']);
  });

  it('keeps the previous version when the new file is broken, and reports file:line', async () => {
    const file = path.join(dir, 'reload.test.zone');
    fs.writeFileSync(file, `${zoneText(3, '3')}bad    IN A   not-an-address\n`);
    const outcome = await t.server.reload(false);
    expect(outcome.kept).toEqual(['reload.test']);
    expect(outcome.errors).toHaveLength(1);
    expect(outcome.errors[0]!.file).toBe(file);
    expect(outcome.errors[0]!.line).toBe(7);
    expect(outcome.errors[0]!.describe()).toMatch(/reload\.test\.zone:7: /);
    expect(await serialOf()).toBe(2);
    fs.writeFileSync(file, zoneText(4, '4'));
    await eventually('serial 4 served', async () => (await serialOf()) === 4);
  });

  it('swaps atomically: under continuous queries every answer is wholly old or wholly new, none lost', async () => {
    const file = path.join(dir, 'reload.test.zone');
    let stop = false;
    const answers: DecodedReply[] = [];
    const load = (async () => {
      while (!stop) {
        const batch = await Promise.all(Array.from({ length: 20 }, () => t.udp({ name: 'start.reload.test', type: 'TXT' })));
        answers.push(...batch);
      }
    })();
    for (let i = 0; i < 20; i++) {
      const version = String(10 + i);
      replaceFile(file, zoneText(10 + i, version));
      const outcome = await t.server.reload(false);
      expect(outcome.errors).toEqual([]);
      await eventually(`serial ${10 + i}`, async () => (await serialOf()) === 10 + i);
    }
    stop = true;
    await load;
    expect(answers.length).toBeGreaterThan(100);
    for (const r of answers) {
      expect(r.rcode).toBe('NOERROR');
      const cname = r.answers[0]!;
      const txt = r.answers[1]!;
      const version = (cname.data as string).split('-')[0]!.slice(1);
      expect(txt.name).toBe(`v${version}-target.reload.test`);
      expect((txt.data as Buffer[]).map(String)).toEqual([version]);
    }
  });

  it('a new zone file appears and a removed one stops being served', async () => {
    const extra = path.join(dir, 'extra.test.zone');
    fs.writeFileSync(extra, zoneText(1, 'x').replace(/reload\.test/g, 'extra.test'));
    await eventually('extra.test served', async () => (await t.udp({ name: 'extra.test', type: 'SOA' })).rcode === 'NOERROR');
    fs.rmSync(extra);
    await eventually('extra.test refused', async () => (await t.udp({ name: 'extra.test', type: 'SOA' })).rcode === 'REFUSED');
    expect(await serialOf()).toBeGreaterThanOrEqual(10);
  });
});
