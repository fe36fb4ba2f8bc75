// `steerdns serve` with the HTTP listener and the query log, spawned from dist/ as an operator
// would run it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, repoRoot } from '../support/build.js';
import { serveCli, stopCli, type ServedCli } from '../support/serve-cli.js';
import { buildQuery, decode, udpExchange } from '../support/dns-client.js';
import { parsePrometheus, request, metricValue } from './harness.js';

const ZONE = `$TTL 300
@   IN SOA ns hostmaster 1 3600 600 86400 60
    IN NS  ns
ns  IN A   192.0.2.1
www IN A   192.0.2.2
`;

let zones: string;
beforeAll(() => {
  zones = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-serve-http-'));
  fs.writeFileSync(path.join(zones, 'cli.test.zone'), ZONE);
});
afterAll(() => fs.rmSync(zones, { recursive: true, force: true }));

type Served = ServedCli;

const serve = (args: string[], expectHttp: boolean, env: Record<string, string> = {}): Promise<Served> =>
  serveCli(zones, args, { expectHttp, env });
const stop = stopCli;

describe('steerdns serve --http', () => {
  it('serves /metrics and the status API, logs sampled queries, and closes both on SIGTERM', async () => {
    // One process: sampling is per process (with --workers N each worker logs one in 2 of its own).
    const s = await serve(['--http', '127.0.0.1:0', '--query-log', '--query-log-sample', '2', '--workers', '1'], true);
    let exited = false;
    try {
      for (let i = 0; i < 4; i++) {
        const r = decode(await udpExchange('127.0.0.1', s.dnsPort, buildQuery({ name: 'www.cli.test', type: 'A' })));
        expect(r.answers[0]?.data).toBe('192.0.2.2');
      }
      const metrics = parsePrometheus((await request(`${s.httpUrl}/metrics`)).text);
      expect(metricValue(metrics, 'steerdns_queries_total', { zone: 'cli.test', qtype: 'A', rcode: 'NOERROR', transport: 'udp' })).toBe(4);
      expect((await request(`${s.httpUrl}/readyz`)).status).toBe(200);
      const status = JSON.parse((await request(`${s.httpUrl}/api/v1/status`)).text) as { zones: { name: string }[] };
      expect(status.zones.map((z) => z.name)).toEqual(['cli.test']);
      const logged = s.lines.filter((l) => l.msg === 'query');
      expect(logged).toHaveLength(2);
      expect(logged[0]).toMatchObject({
        component: 'query',
        client: '127.0.0.1',
        qname: 'www.cli.test',
        qtype: 'A',
        rcode: 'NOERROR',
        answers: 1,
      });
      expect(await stop(s.child)).toBe(0);
      exited = true;
      await expect(request(`${s.httpUrl}/healthz`)).rejects.toThrow();
    } finally {
      if (!exited) s.child.kill('SIGKILL');
    }
  });

  it('takes the token from STEERDNS_HTTP_TOKEN', async () => {
    const token = 'from-the-environment-0123';
    const s = await serve(['--http', '127.0.0.1:0'], true, { STEERDNS_HTTP_TOKEN: token });
    try {
      expect((await request(`${s.httpUrl}/api/v1/status`)).status).toBe(401);
      expect((await request(`${s.httpUrl}/api/v1/status`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      expect(s.lines.find((l) => String(l.msg).startsWith('http listening'))).toMatchObject({ auth: 'bearer token' });
    } finally {
      expect(await stop(s.child)).toBe(0);
    }
  });

  it('with --http off, starts no HTTP listener', async () => {
    const s = await serve(['--http', 'off'], false);
    // Exit code 0 on SIGTERM means serve got past its whole setup (the handler is installed last).
    expect(await stop(s.child)).toBe(0);
    await s.drained;
    expect(s.lines.some((l) => l.msg === 'shutting down')).toBe(true);
    expect(s.lines.some((l) => String(l.msg).startsWith('http listening'))).toBe(false);
  });

  it('refuses a non-loopback --http without a token, before serving anything', () => {
    const r = spawnSync(
      process.execPath,
      [cliPath(), 'serve', '--zones', zones, '--geoip', 'off', '--listen', '127.0.0.1:0', '--http', '0.0.0.0:0'],
      {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 20_000,
        env: { ...process.env, STEERDNS_HTTP_TOKEN: '' },
      },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /0\.0\.0\.0:0 is not a loopback address: set a bearer token with --http-token or STEERDNS_HTTP_TOKEN.*\[STEER_HTTP_TOKEN_REQUIRED\]/,
    );
    expect(r.stdout).not.toMatch(/listening/);
  });

  it('rejects a bad --http address and a bad --query-log-sample with usage', () => {
    const run = (args: string[]) =>
      spawnSync(process.execPath, [cliPath(), 'serve', '--zones', zones, '--geoip', 'off', ...args], {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 20_000,
      });
    const bad = run(['--http', 'localhost:9153']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--http localhost:9153: expected ADDRESS:PORT/);
    const sample = run(['--query-log-sample', '0']);
    expect(sample.status).toBe(2);
    expect(sample.stderr).toMatch(/--query-log-sample 0/);
  });
});
