// The status page's what-if views in a real browser (Debian's chromium, headless): the
// "Scenarios" matrix from the server's recent traffic, a pool pushed past its capacity shown as
// OVER, and "What changed" drawn right after a reload. A screenshot is kept in
// test-output/whatif-panels.png.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type RunningHttpServer } from '../../src/http/server.js';
import { WhatifApi } from '../../src/http/whatif-api.js';
import { RecentQueries } from '../../src/replay/recent-queries.js';
import { silentLogger } from '../../src/server/logger.js';
import { repoRoot } from '../support/build.js';
import { writeTestGeoDb } from '../support/geo-fixture.js';
import { startTestServer, type TestServer } from '../support/server.js';

const CHROMIUM = '/usr/bin/chromium';
const required = process.env.STEERDNS_REQUIRE_INTEROP === '1';
const available = fs.existsSync(CHROMIUM);
if (!available) {
  if (required) throw new Error(`${CHROMIUM} is missing and STEERDNS_REQUIRE_INTEROP=1: install Debian's chromium`);
  console.warn(`SKIPPING the what-if panels browser test: ${CHROMIUM} not found (apt-get install chromium)`);
}

const TOKEN = 'browser-whatif-token-0123456789';
const SCREENSHOT = path.join(repoRoot, 'test-output', 'whatif-panels.png');
const ZONE = `$TTL 300
@   IN SOA ns hostmaster 1 3600 600 86400 60
    IN NS  ns
ns  IN A   192.0.2.1
`;
const LB = `
pools:
  us: { capacity: 1000, origins: [ { name: us-1, address: 192.0.2.10 } ] }
  eu: { capacity: 0.5, origins: [ { name: eu-1, address: 192.0.2.20 } ] }
  ap: { origins: [ { name: ap-1, address: 192.0.2.30 } ] }
load_balancers:
  www:
    steering_policy: geo
    default_pools: [us, eu, ap]
    country_pools: { GB: [eu, us], JP: [ap, us] }
`;

describe.skipIf(!available)('what-if views of the status page in chromium', () => {
  let dir: string;
  let dns: TestServer;
  let http: RunningHttpServer;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const problems: string[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-whatif-page-'));
    fs.writeFileSync(path.join(dir, 'example.com.zone'), ZONE);
    fs.writeFileSync(path.join(dir, 'example.com.lb.yaml'), LB);
    const recent = new RecentQueries({ sampleEvery: 1 });
    dns = await startTestServer({ zonesDir: dir, watch: false, geoip: writeTestGeoDb(path.join(dir, 'geo')), observer: recent });
    http = await startHttpServer({
      server: dns.server,
      listen: '127.0.0.1:0',
      token: TOKEN,
      logger: silentLogger(),
      metrics: null,
      whatif: new WhatifApi(dns.server.state, recent),
    });
    for (let i = 0; i < 10; i++) {
      for (const ip of ['127.0.0.0', '127.0.1.0', '127.0.3.0']) {
        await dns.udp({ name: 'www.example.com', type: 'A', edns: { ecs: { ip, sourcePrefix: 24 } } });
      }
    }
    const { chromium } = await import('playwright-core');
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
      viewport: { width: 1440, height: 900 },
      deviceScaleFactor: 1,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
    await http?.close();
    await dns?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('draws the scenarios matrix with loads against capacity, and what a reload changed', async () => {
    await page.goto(`${http.url}/?token=${TOKEN}`);
    const matrix = page.locator('table.matrix');
    await matrix.waitFor({ timeout: 10_000 });
    expect(await matrix.locator('tr[data-failed]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-failed')))).toEqual([
      'example.com/us',
      'example.com/eu',
      'example.com/ap',
    ]);
    // us fails: its traffic (the US clients) goes to eu, whose capacity is far too small.
    const usRow = matrix.locator('tr[data-failed="example.com/us"]');
    await expect(usRow.getAttribute('data-flagged')).resolves.toBe('true');
    const toEu = usRow.locator('[data-to="example.com/eu"]');
    await expect(toEu.getAttribute('data-over')).resolves.toBe('true');
    await expect(toEu.textContent()).resolves.toMatch(/100 % of its traffic[\s\S]*OVER/);
    await expect(toEu.getAttribute('class')).resolves.toContain('s-bad');
    await expect(page.locator('#whatif').textContent()).resolves.toContain('No reload has changed the configuration');

    // A reload that moves Britain to us: the status refresh notices it and "what changed" follows.
    fs.writeFileSync(path.join(dir, 'example.com.lb.yaml'), LB.replace('GB: [eu, us]', 'GB: [us, eu]'));
    await dns.server.reload(true);
    const changed = page.locator('#whatif [data-changed]');
    await changed.waitFor({ timeout: 10_000 });
    await expect(changed.getAttribute('data-changed')).resolves.toBe('10');
    await expect(changed.locator('tr[data-lb="www.example.com"]').textContent()).resolves.toMatch(/eu 3\d\.\d % → 0 %/);

    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
    expect(problems).toEqual([]);
  }, 60_000);
});
