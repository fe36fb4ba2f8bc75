// The status page in a real browser: Debian's chromium driven by playwright-core, headless.
// Two load balancers whose origins are loopback HTTP backends; the page must draw both, show
// an origin going down within one refresh of the API knowing it, load nothing from elsewhere,
// and raise no script or CSP error. A screenshot is kept in test-output/status-page.png.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Status } from '../../src/http/status-schema.js';
import { repoRoot } from '../support/build.js';
import { gatedBackend, startHarness, type GatedBackend, type Harness } from '../http/harness.js';
import { eventually } from '../support/eventually.js';

const CHROMIUM = '/usr/bin/chromium';
const required = process.env.STEERDNS_REQUIRE_INTEROP === '1';
const available = fs.existsSync(CHROMIUM);
if (!available) {
  if (required) throw new Error(`${CHROMIUM} is missing and STEERDNS_REQUIRE_INTEROP=1: install Debian's chromium`);
  console.warn(`SKIPPING the status page browser test: ${CHROMIUM} not found (apt-get install chromium)`);
}

const TOKEN = 'browser-test-token-0123456789';
const OUT_DIR = path.join(repoRoot, 'test-output');
const SCREENSHOT = path.join(OUT_DIR, 'status-page.png');

const ZONE = `$TTL 300
@    IN SOA ns hostmaster 2024061501 3600 600 86400 60
     IN NS  ns1
     IN NS  ns2
ns1  IN A   192.0.2.1
ns2  IN A   192.0.2.2
mail IN MX  10 mx
mx   IN A   192.0.2.25
`;

interface Backends {
  use1a: GatedBackend;
  use1b: GatedBackend;
  euw1a: GatedBackend;
  apiA: GatedBackend;
  apiB: GatedBackend;
}

function lbYaml(b: Backends): string {
  const o = (name: string, x: GatedBackend, extra = ''): string => `      - { name: ${name}, address: ${x.host}, port: ${x.port}${extra} }`;
  return `
monitors:
  web:
    type: http
    path: /healthz
    expected_codes: 2xx
    interval: 1
    timeout: 0.5
    retries: 0
pools:
  us-east:
    description: Virginia
    monitor: web
    origins:
${o('use1-a', b.use1a)}
${o('use1-b', b.use1b, ', weight: 0.5')}
      - { name: use1-c, address: 192.0.2.13, enabled: false }
  eu-west:
    description: Dublin
    monitor: web
    origins:
${o('euw1-a', b.euw1a)}
  static:
    description: last resort, never probed
    origins:
      - { name: sorry, address: 192.0.2.99 }
  api-blue:
    monitor: web
    origins:
${o('api-a', b.apiA)}
  api-green:
    monitor: web
    origins:
${o('api-b', b.apiB)}
load_balancers:
  www:
    description: storefront, failover
    ttl: 30
    default_pools: [us-east, eu-west]
    fallback_pool: static
  api:
    description: blue/green, weighted
    ttl: 20
    steering_policy: random
    default_pools: [api-blue, api-green]
    random_steering: { pool_weights: { api-blue: 3, api-green: 1 } }
`;
}

describe.skipIf(!available)('status page in chromium', () => {
  let h: Harness;
  let b: Backends;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const requests: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    b = {
      use1a: await gatedBackend('127.0.0.11'),
      use1b: await gatedBackend('127.0.0.12'),
      euw1a: await gatedBackend('127.0.0.13'),
      apiA: await gatedBackend('127.0.0.21'),
      apiB: await gatedBackend('127.0.0.22'),
    };
    h = await startHarness({ zones: { 'demo.test.zone': ZONE, 'demo.test.lb.yaml': lbYaml(b) }, token: TOKEN });
    await h.dns.server.prober.ready;
    // Some traffic, so the share bars and the chart have something to show.
    for (let i = 0; i < 60; i++) {
      await h.dns.udp({ name: 'www.demo.test', type: 'A' });
      await h.dns.udp({ name: 'api.demo.test', type: 'A' });
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
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
    await h?.close();
    for (const x of Object.values(b ?? {})) await x.close();
  });

  it('renders every load balancer with pools and origins, and shows an origin down within one refresh', async () => {
    await page.goto(`${h.http.url}/?token=${TOKEN}`);
    const card = (owner: string) => page.locator(`article[data-lb="${owner}"]`);
    await card('www.demo.test').waitFor({ timeout: 10_000 });
    await card('api.demo.test').waitFor({ timeout: 10_000 });
    expect(await page.locator('article[data-lb]').count()).toBe(2);
    expect(
      await card('www.demo.test')
        .locator('[data-pool]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-pool'))),
    ).toEqual(['us-east', 'eu-west', 'static']);
    const origin = (pool: string, name: string) => card('www.demo.test').locator(`[data-pool="${pool}"] tr[data-origin="${name}"]`);
    expect(await origin('us-east', 'use1-a').getAttribute('data-health')).toBe('up');
    expect(await origin('us-east', 'use1-c').getAttribute('data-health')).toBe('drained');
    expect(await origin('static', 'sorry').getAttribute('data-health')).toBe('unmonitored');
    await expect(origin('us-east', 'use1-a').textContent()).resolves.toMatch(/UP[\s\S]*up \d+ (s|min): HTTP 200/);
    await expect(card('www.demo.test').locator('[data-pool="us-east"] .share').textContent()).resolves.toMatch(/100 %/);

    // Stop a backend; once the API reports it down, the page must show it within one refresh.
    await b.use1a.close();
    await eventually(
      'the API to report use1-a down',
      async () => {
        const s = await h.json<Status>('/api/v1/status');
        return s.loadBalancers.find((l) => l.owner === 'www.demo.test')!.pools[0]!.origins[0]!.health === 'down';
      },
      { timeoutMs: 10_000 },
    );
    const knownAt = Date.now();
    await origin('us-east', 'use1-a')
      .and(page.locator('[data-health="down"]'))
      .waitFor({ timeout: 2000 + 1500 });
    const shownAfter = Date.now() - knownAt;
    expect(shownAfter).toBeLessThan(3500);
    await expect(origin('us-east', 'use1-a').textContent()).resolves.toMatch(/DOWN[\s\S]*down \d+ s: (ECONNREFUSED|connection refused)/i);
    await expect(page.locator('section', { hasText: 'Recent health transitions' }).textContent()).resolves.toMatch(/us-east\/use1-a/);

    // A little more traffic after the failure, then the screenshot for the CI artifact.
    for (let i = 0; i < 20; i++) await h.dns.udp({ name: 'www.demo.test', type: 'A' });
    const refreshes = Number(await page.locator('body').getAttribute('data-refreshes'));
    await eventually('one more refresh', async () => Number(await page.locator('body').getAttribute('data-refreshes')) > refreshes, {
      timeoutMs: 5000,
    });
    fs.mkdirSync(OUT_DIR, { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(10_000);

    // Self-contained: every request went to this listener; no script or CSP error.
    expect(requests.filter((u) => !u.startsWith(h.http.url))).toEqual([]);
    expect(problems).toEqual([]);
  }, 60_000);

  it('says so when the token is missing, instead of drawing nothing', async () => {
    const other = await context.newPage();
    try {
      const res = await other.goto(`${h.http.url}/`);
      expect(res?.status()).toBe(401);
    } finally {
      await other.close();
    }
  });
});
