// Operator overrides end to end: the real server and HTTP listener, answers checked over real
// UDP. Drain, force-down and force-up change answers at once; expiry happens on time; a state
// directory keeps them across a restart; tokens need the write role, even on loopback; every
// change is one audit line; bad input is a 4xx with a reason and changes nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCtl } from '../src/cli/ctl.js';
import { eventually } from './support/eventually.js';
import { webhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';
import { startHarness, type Harness } from './http/harness.js';

const WRITE = 'overrides-test-write-token-0123456789';
const READ = 'overrides-test-read-token-0123456789';
const TOKENS = `# name role token\nops write ${WRITE}\nviewer read ${READ}\n`;
const ZONE = `$TTL 300
@   IN SOA ns hostmaster 1 3600 600 86400 60
    IN NS  ns
ns  IN A   192.0.2.1
`;
const lb = (hook: string): string => `
notifications:
  ops: { url: ${hook}, events: [override], coalesce: 0 }
monitors:
  refused: { type: tcp, port: 1, interval: 1, timeout: 0.5, retries: 0 }
pools:
  main:
    origin_steering: { policy: all }
    origins:
      - { name: a, address: 192.0.2.10 }
      - { name: b, address: 192.0.2.11 }
  dead:
    monitor: refused
    probe: { address: 127.0.0.1 }
    origins:
      - { name: d, address: 192.0.2.20 }
  backup:
    origins:
      - { name: z, address: 192.0.2.99 }
load_balancers:
  www: { default_pools: [main, backup] }
  dead: { default_pools: [dead, backup] }
`;

let stateDir: string;
let h: Harness;
let hook: WebhookReceiver;

const start = (): Promise<Harness> =>
  startHarness({ zones: { 'ov.test.zone': ZONE, 'ov.test.lb.yaml': lb(hook.url) }, token: TOKENS, server: { stateDir } });

async function a(name: string): Promise<string> {
  const r = await h.dns.udp({ name: `${name}.ov.test`, type: 'A' });
  return r.answers
    .map((x) => String(x.data))
    .sort()
    .join(',');
}

interface Reply {
  status: number;
  body: { error?: string; id?: string; author?: string; expiresAt?: string | null; overrides?: { id: string; target: string }[] };
}

async function call(method: string, urlPath: string, body?: unknown, token: string | null = WRITE): Promise<Reply> {
  const r = await fetch(`${h.http.url}${urlPath}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as Reply['body'] };
}

const auditLines = (): { event: string; author: string; target: string; reason: string; node: string }[] => {
  const file = path.join(stateDir, 'audit.log');
  return fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
    : [];
};

beforeAll(async () => {
  hook = await webhookReceiver();
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-overrides-'));
  h = await start();
}, 20_000);

afterAll(async () => {
  await h?.close();
  await hook?.close();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

describe('overrides', () => {
  it('drains an origin within a second, and undrain (delete) restores it', async () => {
    expect(await a('www')).toBe('192.0.2.10,192.0.2.11');
    const t0 = Date.now();
    const made = await call('POST', '/api/v1/overrides', { zone: 'ov.test.', target: 'a', action: 'drain', reason: 'kernel upgrade' });
    expect(made.status).toBe(201);
    expect(made.body.author).toBe('ops');
    await eventually('a drained', async () => (await a('www')) === '192.0.2.11', { timeoutMs: 1000 });
    expect(Date.now() - t0).toBeLessThan(1000);
    const listed = await call('GET', '/api/v1/overrides', undefined, READ);
    expect(listed.body.overrides?.map((o) => o.target)).toEqual(['a']);
    expect((await call('DELETE', `/api/v1/overrides/${made.body.id}`)).status).toBe(200);
    await eventually('a back', async () => (await a('www')) === '192.0.2.10,192.0.2.11', { timeoutMs: 1000 });
    const audit = auditLines().slice(-2);
    expect(audit.map((l) => [l.event, l.author, l.target, l.reason])).toEqual([
      ['created', 'ops', 'a', 'kernel upgrade'],
      ['removed', 'ops', 'a', 'kernel upgrade'],
    ]);
    expect(audit[0]!.node).toEqual(expect.any(String));
    await eventually('two override notifications', () => hook.received.length >= 2);
    const sent = hook.received;
    expect(sent.map((r) => JSON.parse(r.body))).toEqual([
      expect.objectContaining({
        kind: 'override',
        subject: 'a',
        old_state: 'none',
        new_state: 'drain',
        author: 'ops',
        reason: 'kernel upgrade',
      }),
      expect.objectContaining({ kind: 'override', subject: 'a', old_state: 'drain', new_state: 'removed', author: 'ops' }),
    ]);
  });

  it('drains a pool; force-down and force-up override health', async () => {
    const drain = await call('POST', '/api/v1/overrides', { zone: 'ov.test', target: 'main', action: 'drain', reason: 'r' });
    await eventually('pool drained', async () => (await a('www')) === '192.0.2.99', { timeoutMs: 1000 });
    await call('DELETE', `/api/v1/overrides/${drain.body.id}`);
    const down = await call('POST', '/api/v1/overrides', { zone: 'ov.test', target: 'b', action: 'force-down', reason: 'r' });
    await eventually('b forced down', async () => (await a('www')) === '192.0.2.10', { timeoutMs: 1000 });
    await call('DELETE', `/api/v1/overrides/${down.body.id}`);
    await eventually('the dead pool is down by its probe', async () => (await a('dead')) === '192.0.2.99', { timeoutMs: 6000 });
    const up = await call('POST', '/api/v1/overrides', { zone: 'ov.test', target: 'd', action: 'force-up', reason: 'probe is wrong' });
    await eventually('d forced up', async () => (await a('dead')) === '192.0.2.20', { timeoutMs: 1000 });
    await call('DELETE', `/api/v1/overrides/${up.body.id}`);
    await eventually('d down again', async () => (await a('dead')) === '192.0.2.99', { timeoutMs: 1000 });
  });

  it('expires on time, by itself', async () => {
    const made = await call('POST', '/api/v1/overrides', { zone: 'ov.test', target: 'b', action: 'drain', reason: 'short', for: '1s' });
    expect(made.status).toBe(201);
    const expiresAt = Date.parse(made.body.expiresAt!);
    await eventually('b drained', async () => (await a('www')) === '192.0.2.10', { timeoutMs: 1000 });
    await eventually('b back after expiry', async () => (await a('www')) === '192.0.2.10,192.0.2.11', { timeoutMs: 3000 });
    // Not before its time, and not much after.
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    expect(Date.now() - expiresAt).toBeLessThan(1000);
    expect((await call('GET', '/api/v1/overrides')).body.overrides).toEqual([]);
    expect(auditLines().at(-1)).toMatchObject({ event: 'expired', target: 'b' });
    await eventually('an expired notification', () =>
      hook.received.some((r) => r.body.includes('"new_state":"expired"') && r.body.includes('"author":"expiry"')),
    );
  });

  it('needs a write token, even on loopback', async () => {
    const body = { zone: 'ov.test', target: 'a', action: 'drain', reason: 'r' };
    expect((await call('POST', '/api/v1/overrides', body, null)).status).toBe(401);
    const ro = await call('POST', '/api/v1/overrides', body, READ);
    expect(ro.status).toBe(403);
    expect(ro.body.error).toMatch(/read-only/);
    expect((await call('PUT', '/api/v1/health/ov.test/a', { state: 'down' }, READ)).status).toBe(403);
    expect((await call('GET', '/api/v1/overrides')).body.overrides).toEqual([]);
  });

  it('rejects bad input with a 4xx and a reason, and changes nothing', async () => {
    const cases: [unknown, number, RegExp][] = [
      [{ zone: 'ov.test', target: 'a', action: 'drain' }, 400, /reason/],
      [{ zone: 'ov.test', target: 'a', action: 'pause', reason: 'r' }, 400, /action/],
      [{ zone: 'ov.test', target: 'a', action: 'drain', reason: 'r', for: 'soon' }, 400, /duration/],
      [{ zone: 'nope.test', target: 'a', action: 'drain', reason: 'r' }, 404, /no zone/],
      [{ zone: 'ov.test', target: 'x', action: 'drain', reason: 'r' }, 404, /no pool or origin/],
      ['{not json', 400, /not JSON/],
    ];
    for (const [body, status, error] of cases) {
      const r = await call('POST', '/api/v1/overrides', body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.body.error).toMatch(error);
    }
    expect((await call('DELETE', '/api/v1/overrides/nope')).status).toBe(404);
    expect((await call('GET', '/api/v1/overrides')).body.overrides).toEqual([]);
    expect(await a('www')).toBe('192.0.2.10,192.0.2.11');
  });

  it('steerdns ctl drains, lists and undrains; HTTP failures are clear errors', async () => {
    const tokenFile = path.join(stateDir, 'tokens');
    fs.writeFileSync(tokenFile, TOKENS, { mode: 0o600 });
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const ctl = (...args: string[]) => runCtl([...args, '--server', h.http.url, '--token-file', tokenFile], {});
      expect(await ctl('drain', 'b', '--zone', 'ov.test', '--reason', 'ctl test', '--for', '30m')).toBe(0);
      await eventually('b drained by ctl', async () => (await a('www')) === '192.0.2.10', { timeoutMs: 1000 });
      expect(await ctl('list')).toBe(0);
      expect(out.mock.calls.map((c) => String(c[0])).join('')).toMatch(/drain b \(ov\.test\) by ops, expires .*: ctl test/);
      expect(await ctl('undrain', 'b', '--zone', 'ov.test')).toBe(0);
      await eventually('b back', async () => (await a('www')) === '192.0.2.10,192.0.2.11', { timeoutMs: 1000 });
      expect(await ctl('drain', 'nope', '--zone', 'ov.test', '--reason', 'r')).toBe(1);
      expect(err.mock.calls.map((c) => String(c[0])).join('')).toMatch(/HTTP 404: zone ov\.test has no pool or origin named "nope"/);
      expect(await ctl('drain', 'b', '--zone', 'ov.test')).toBe(2); // no --reason
    } finally {
      err.mockRestore();
      out.mockRestore();
    }
  });

  it('keeps overrides across a restart with a state directory', async () => {
    await call('POST', '/api/v1/overrides', { zone: 'ov.test', target: 'a', action: 'drain', reason: 'stays' });
    await h.close();
    h = await start();
    expect((await call('GET', '/api/v1/overrides')).body.overrides?.map((o) => o.target)).toEqual(['a']);
    expect(await a('www')).toBe('192.0.2.11');
    const status = (await call('GET', '/api/v1/status', undefined, READ)).body as {
      overrides?: { target: string; reason: string; author: string; expiresAt: number | null }[];
    };
    expect(status.overrides).toEqual([expect.objectContaining({ target: 'a', reason: 'stays', author: 'ops', expiresAt: null })]);
  }, 20_000);
});
