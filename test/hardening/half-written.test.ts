// Files saved in place (truncate, write part, pause, write the rest) are never served half: the
// watcher waits for a changed file to settle before reading it. Explicit reloads are not delayed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Reloader } from '../../src/config/reloader.js';
import { silentLogger } from '../../src/server/logger.js';
import type { LoadOutcome } from '../../src/config/config-loader.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { UdpClient } from './support.js';
import { eventually } from '../support/eventually.js';

const DEBOUNCE_MS = 30;

let dir: string;
let t: TestServer | null = null;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-half-'));
});
afterEach(async () => {
  await t?.close();
  t = null;
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A zone whose last record, `last TXT`, names the version; many records before it. */
function zoneText(version: string): string {
  const lines = ['$TTL 300', `@ IN SOA ns hostmaster ${version === 'v1' ? 1 : 2} 3600 600 86400 60`, '  IN NS ns', 'ns IN A 192.0.2.1'];
  for (let i = 0; i < 200; i++) lines.push(`r${i} IN TXT "${version} record ${i}"`);
  lines.push(`last IN TXT "${version}"`);
  return `${lines.join('\n')}\n`;
}

/** Save in place as a non-atomic editor does: truncate, write `first`, pause, write `rest`. */
async function saveInPlace(file: string, first: string, rest: string, pauseMs: number, during: () => Promise<void>): Promise<void> {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, first);
    const pauseEnd = performance.now() + pauseMs;
    // Keep asking while the file is half-written: this is the window a reload could catch it in.
    while (performance.now() < pauseEnd) await during();
    fs.writeSync(fd, rest);
  } finally {
    fs.closeSync(fd);
  }
}

/** Collects every reload outcome the server reports. */
function recordReloads(s: TestServer): LoadOutcome[] {
  const seen: LoadOutcome[] = [];
  s.server.events.on('reload', (o) => seen.push(o));
  return seen;
}

describe('half-written zone files', () => {
  it.each([
    ['cut at a line boundary (the half parses)', (text: string) => text.lastIndexOf('\n', text.length / 2) + 1],
    ['cut inside a record (the half is broken)', (text: string) => text.indexOf('"', text.length / 2) + 3],
  ])('%s: the old zone serves until the whole new file is there', async (_what, cutAt) => {
    const file = path.join(dir, 'half.test.zone');
    fs.writeFileSync(file, zoneText('v1'));
    t = await startTestServer({ zonesDir: dir, reloadDebounceMs: DEBOUNCE_MS, probe: false });
    const reloads = recordReloads(t);
    const udp = await UdpClient.open(t.host, t.port);
    const seen = new Set<string>();
    const ask = async (): Promise<void> => {
      const r = (await udp.query({ name: 'last.half.test', type: 'TXT' })).reply;
      seen.add(r.rcode === 'NOERROR' ? (r.answers[0]!.data as Buffer[]).map(String).join('') : r.rcode);
    };
    const v2 = zoneText('v2');
    const cut = cutAt(v2);
    expect(cut).toBeGreaterThan(100);
    // The pause is many debounce periods long: a plain debounce would have read the half.
    await saveInPlace(file, v2.slice(0, cut), v2.slice(cut), DEBOUNCE_MS * 10, ask);
    await eventually('v2 served', async () => {
      await ask();
      return seen.has('v2');
    });
    await udp.close();
    expect([...seen].sort()).toEqual(['v1', 'v2']);
    expect(reloads.flatMap((o) => o.errors)).toEqual([]);
    const r0 = await t.udp({ name: 'r0.half.test', type: 'TXT' });
    expect((r0.answers[0]!.data as Buffer[]).map(String).join('')).toBe('v2 record 0');
  });

  it('a half-written load-balancer file is not served either', async () => {
    const zone = path.join(dir, 'lbhalf.test.zone');
    const lb = path.join(dir, 'lbhalf.test.lb.yaml');
    fs.writeFileSync(zone, '$TTL 300\n@ IN SOA ns hostmaster 1 3600 600 86400 60\n  IN NS ns\nns IN A 192.0.2.1\n');
    const lbText = (a: string, b: string): string =>
      [
        'pools:',
        '  one:',
        `    origins: [{ name: o1, address: ${a} }]`,
        '  two:',
        `    origins: [{ name: o2, address: ${b} }]`,
        'load_balancers:',
        '  first:',
        '    default_pools: [one]',
        '  second:',
        '    default_pools: [two]',
        '',
      ].join('\n');
    fs.writeFileSync(lb, lbText('192.0.2.10', '192.0.2.20'));
    t = await startTestServer({ zonesDir: dir, reloadDebounceMs: DEBOUNCE_MS, probe: false });
    const reloads = recordReloads(t);
    expect((await t.udp({ name: 'second.lbhalf.test', type: 'A' })).answers[0]!.data).toBe('192.0.2.20');
    const udp = await UdpClient.open(t.host, t.port);
    const seen = new Set<string>();
    const ask = async (): Promise<void> => {
      const r = (await udp.query({ name: 'second.lbhalf.test', type: 'A' })).reply;
      seen.add(r.rcode === 'NOERROR' ? String(r.answers[0]?.data ?? 'NODATA') : r.rcode);
    };
    const next = lbText('192.0.2.11', '192.0.2.21');
    const cut = next.indexOf('  second:'); // the half is valid YAML with one load balancer fewer
    await saveInPlace(lb, next.slice(0, cut), next.slice(cut), DEBOUNCE_MS * 10, ask);
    await eventually('new LB served', async () => {
      await ask();
      return seen.has('192.0.2.21');
    });
    await udp.close();
    expect([...seen].sort()).toEqual(['192.0.2.20', '192.0.2.21']);
    expect(reloads.flatMap((o) => o.errors)).toEqual([]);
    expect((await t.udp({ name: 'first.lbhalf.test', type: 'A' })).answers[0]!.data).toBe('192.0.2.11');
  });

  it('an explicit reload reads the file as it is, at once', async () => {
    const file = path.join(dir, 'now.test.zone');
    fs.writeFileSync(file, zoneText('v1').replace(/half/g, 'now'));
    t = await startTestServer({ zonesDir: dir, reloadDebounceMs: DEBOUNCE_MS, probe: false });
    fs.writeFileSync(file, zoneText('v2'));
    const started = performance.now();
    const outcome = await t.server.reload(false);
    expect(performance.now() - started).toBeLessThan(500);
    expect(outcome.loaded).toEqual(['now.test']);
  });
});

describe('Reloader settling', () => {
  it('waits until a changed file is settleMs old, then reloads once', async () => {
    let reloads = 0;
    const r = new Reloader({ dir, debounceMs: 20, settleMs: 300, logger: silentLogger(), reload: () => void reloads++ });
    r.start();
    try {
      const file = path.join(dir, 'a.zone');
      const started = performance.now();
      fs.writeFileSync(file, 'x');
      await eventually('a reload', () => reloads > 0, { timeoutMs: 3000, intervalMs: 5 });
      expect(performance.now() - started).toBeGreaterThanOrEqual(250);
      // "Once": nothing more may happen for a while after the reload, so this wait is the test.
      await new Promise((res) => setTimeout(res, 100));
      expect(reloads).toBe(1);
    } finally {
      r.stop();
    }
  });

  it('a file with an mtime in the future delays a reload at most 5 x settleMs', async () => {
    let reloads = 0;
    const r = new Reloader({ dir, debounceMs: 20, settleMs: 100, logger: silentLogger(), reload: () => void reloads++ });
    r.start();
    try {
      const file = path.join(dir, 'b.zone');
      const started = performance.now();
      fs.writeFileSync(file, 'x');
      const future = new Date(Date.now() + 3_600_000);
      fs.utimesSync(file, future, future);
      await eventually('a reload', () => reloads > 0, { timeoutMs: 3000, intervalMs: 5 });
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(400);
      expect(elapsed).toBeLessThan(1500);
    } finally {
      r.stop();
    }
  });

  it('editor scratch files do not hold a reload back', async () => {
    let reloads = 0;
    const r = new Reloader({ dir, debounceMs: 20, settleMs: 1000, logger: silentLogger(), reload: () => void reloads++ });
    r.start();
    try {
      const started = performance.now();
      fs.writeFileSync(path.join(dir, '.c.zone.swp'), 'x');
      await eventually('a reload', () => reloads > 0, { timeoutMs: 3000, intervalMs: 5 });
      expect(performance.now() - started).toBeLessThan(700);
    } finally {
      r.stop();
    }
  });
});
