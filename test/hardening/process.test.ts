// The shipped process: refuses a broken configuration with a clear message and exit code 1;
// SIGTERM stops accepting, finishes a query in flight and exits 0; hostile client bytes never
// reach the log unescaped.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath } from '../support/build.js';
import { buildQuery, decode, udpExchange } from '../support/dns-client.js';
import { connectFrom, FrameReader, framed } from './support.js';
import { eventually } from '../support/eventually.js';

// The run's one build (test/global-setup.ts).
const cli = cliPath();
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-proc-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const goodZone = `$TTL 300
@   IN SOA ns hostmaster 1 3600 600 86400 60
    IN NS  ns
ns  IN A   192.0.2.1
www IN A   192.0.2.2
`;

function zonesWith(name: string, files: Record<string, string>): string {
  const zones = path.join(dir, name);
  fs.mkdirSync(zones, { recursive: true });
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(zones, file), text);
  return zones;
}

const baseArgs = ['serve', '--geoip', 'off', '--http', 'off'];

function runToExit(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Served {
  readonly child: ChildProcess;
  readonly port: number;
  readonly stdout: string[];
  readonly stderr: string[];
  readonly exit: Promise<number | null>;
}

async function serve(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [cli, ...baseArgs, '--listen', '127.0.0.1:0', ...args]);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const collect = (stream: NodeJS.ReadableStream, into: string[]): void => {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop()!;
      into.push(...parts);
    });
    stream.on('end', () => {
      if (rest) into.push(rest);
    });
  };
  collect(child.stdout!, stdout);
  collect(child.stderr!, stderr);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await eventually(
    'the "listening" log line',
    () => {
      for (const line of stdout) {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg?.startsWith('listening') && entry.port) return entry.port;
      }
      return 0;
    },
    { timeoutMs: 15_000 },
  );
  return { child, port, stdout, stderr, exit };
}

describe('refusing to start', () => {
  it('a broken load-balancer file: file:line on stderr, exit 1, nothing served', () => {
    const zones = zonesWith('bad-lb', {
      'bad.test.zone': goodZone,
      'bad.test.lb.yaml':
        'pools:\n  p:\n    origins: [{ name: a, address: 192.0.2.1 }]\nload_balancers:\n  www:\n    default_pools: [nope]\n',
    });
    const r = runToExit([...baseArgs, '--zones', zones, '--listen', '127.0.0.1:0']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/bad\.test\.lb\.yaml:\d+: .*nope/);
    expect(r.stderr).toMatch(/refusing to start: 1 configuration error/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(r.stdout).not.toMatch(/listening/);
  });

  it('a zones directory that does not exist', () => {
    const r = runToExit([...baseArgs, '--zones', path.join(dir, 'missing'), '--listen', '127.0.0.1:0']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot read .*missing/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a listen address already in use', async () => {
    const zones = zonesWith('busy', { 'busy.test.zone': goodZone });
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as net.AddressInfo).port;
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(port, '127.0.0.1', () => resolve()));
    try {
      const r = runToExit([...baseArgs, '--zones', zones, '--listen', `127.0.0.1:${port}`]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`cannot listen on udp 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
      udp.close();
    }
  });
});

describe('SIGTERM', () => {
  it('stops accepting, answers the query in flight, then exits 0', async () => {
    const zones = zonesWith('term', { 'term.test.zone': goodZone });
    const s = await serve(['--zones', zones]);
    const busy = await connectFrom('127.0.0.1', s.port);
    const reader = new FrameReader(busy);
    const query = framed({ name: 'www.term.test', type: 'A', id: 4321 });
    busy.write(query.subarray(0, 9));
    // The server has the first bytes before the signal.
    expect(decode(await udpExchange('127.0.0.1', s.port, buildQuery({ name: 'www.term.test', type: 'A' }))).rcode).toBe('NOERROR');
    s.child.kill('SIGTERM');
    await eventually('new connections refused', () =>
      connectFrom('127.0.0.1', s.port).then(
        (sock) => {
          sock.destroy();
          return false;
        },
        (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED',
      ),
    );
    busy.end(query.subarray(9));
    await reader.waitFor('the reply', () => reader.frames.length === 1);
    expect(decode(reader.frames[0]!)).toMatchObject({ id: 4321, rcode: 'NOERROR' });
    expect(await s.exit).toBe(0);
    expect(s.stdout.some((l) => (JSON.parse(l) as { msg?: string }).msg === 'shutting down')).toBe(true);
  });
});

describe('logs', () => {
  it('client-controlled bytes are escaped: every line is JSON with no raw control characters', async () => {
    const zones = zonesWith('logs', { 'logs.test.zone': goodZone });
    const s = await serve(['--zones', zones, '--log-level', 'debug', '--query-log']);
    const nasty = [
      'a\nb',
      'c\r\nd',
      'e\u0000f',
      '\u001b[31mred',
      'q"uote',
      'back\\slash',
      '}{"injected":1',
      'del\u007f',
      'hi\u00ff',
      'tab\tx',
      'u\u2028v',
    ];
    const send = (bytes: Uint8Array): Promise<void> =>
      new Promise((resolve) => {
        const sock = dgram.createSocket('udp4');
        sock.send(bytes, s.port, '127.0.0.1', () => {
          sock.close();
          resolve();
        });
      });
    for (const label of nasty) {
      await send(rawQuery([Buffer.from(label, 'latin1'), Buffer.from('logs'), Buffer.from('test')]));
      await send(rawQuery([Buffer.from(label, 'latin1'), Buffer.from('elsewhere')]));
    }
    // Error paths: trailing junk (FORMERR), a response (dropped), a cut packet, a compression
    // loop and a bad ECS option.
    const good = rawQuery([Buffer.from('www'), Buffer.from('logs'), Buffer.from('test')]);
    await send(Buffer.concat([good, Buffer.from('\n{"x":"\r\n')]));
    const response = Buffer.from(good);
    response[2] = 0x80;
    await send(response);
    await send(good.subarray(0, 15));
    await send(Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]));
    await send(buildQuery({ name: 'www.logs.test', type: 'A', edns: { ecs: { ip: '10.1.2.3', sourcePrefix: 8, scopePrefix: 24 } } }));

    // The server has logged every query once the log shows the last one; then stop it.
    await eventually('the query log to catch up', () => s.stdout.filter((l) => l.includes('"query')).length >= nasty.length * 2 + 3);
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);

    const lines = [...s.stdout, ...s.stderr].filter((l) => l.length > 0);
    expect(lines.length).toBeGreaterThan(nasty.length * 2);
    for (const line of lines) {
      // Control characters are what this test looks for, so the pattern must name them.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the test searches for control characters
      expect(line, 'raw control character in a log line').not.toMatch(/[\u0000-\u001f\u007f\u2028\u2029]/);
      let entry: unknown;
      expect(() => (entry = JSON.parse(line)), line).not.toThrow();
      // Even decoded, no field holds a control character: names are in \DDD presentation form.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the test searches for control characters
      for (const text of strings(entry)) expect(text, line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    }
    const names = lines.map((l) => JSON.parse(l) as { qname?: string }).flatMap((e) => (e.qname ? [e.qname] : []));
    expect(names).toContain('a\\010b.logs.test');
    expect(names).toContain('}{"injected":1.logs.test');
    expect(names).toContain('\\027[31mred.elsewhere');
  });
});

describe('the shipped rate limiter', () => {
  it('checks a response without allocating (young-generation bytes per check, with a positive control)', () => {
    // Runs the built module in a plain node process, as the server does. Bytes are read from the
    // new space between two points with no garbage collection in between (retried otherwise).
    const script = `
      import v8 from 'node:v8';
      import { PerformanceObserver, performance } from 'node:perf_hooks';
      import { ResponseRateLimiter } from ${JSON.stringify(path.join(path.dirname(cli), '../transport/rrl.js'))};
      import { BytesClientIp, TextClientIp } from ${JSON.stringify(path.join(path.dirname(cli), '../net/client-ip.js'))};
      // What the pipeline reports for a positive answer (RRL classifies that, not the bytes).
      const reply = { kind: 'answer', query: { qname: 'www.example.com' }, zone: 'example.com', wildcard: null, reply: null };
      // Clients as node:dgram reports them (text) and as the batched path does (bytes in place).
      const texts = ['192.0.2.1', '2001:db8::1', '::ffff:198.51.100.4', '10.9.1.1', '198.51.100.9'].map((t) => new TextClientIp(t));
      const meta = Uint8Array.from([203, 0, 113, 7, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]);
      const ips = [...texts, new BytesClientIp().set(meta, 0, 4), new BytesClientIp().set(meta, 4, 6)];
      const rrl = new ResponseRateLimiter({ rate: 100, slip: 2, ipv4Prefix: 24, ipv6Prefix: 56, exempt: ['10.9.0.0/16'] });
      const run = (n) => { for (let i = 0; i < n; i++) rrl.check(ips[i % ips.length], reply); };
      let keep = null;
      const control = (n) => { for (let i = 0; i < n; i++) keep = [i, keep === null]; };
      const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_used_size;
      const gcs = [];
      new PerformanceObserver((l) => { for (const e of l.getEntries()) gcs.push(e.startTime); }).observe({ entryTypes: ['gc'] });
      const perCall = async (work, n) => {
        for (let attempt = 0; attempt < 20; attempt++) {
          const t0 = performance.now(); const before = newSpace(); work(n); const after = newSpace(); const t1 = performance.now();
          // Lets the gc PerformanceObserver deliver entries for [t0, t1]: no state says it has.
          await new Promise((r) => setTimeout(r, 10));
          if (!gcs.some((t) => t >= t0 && t <= t1) && after >= before) return (after - before) / n;
        }
        return NaN;
      };
      run(300000); control(1000);
      const limiter = await perCall(run, 50000);
      const ctl = await perCall(control, 5000); // ~160 KB: fits the young generation between collections
      rrl.close();
      console.log(JSON.stringify({ limiter, control: ctl, checked: rrl.stats().responses }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { limiter: number; control: number; checked: number };
    expect(out.checked).toBeGreaterThan(300_000);
    expect(out.control).toBeGreaterThan(8);
    expect(out.limiter).toBeLessThan(0.5);
  });
});

/** A query packet with the given raw labels (bytes as they are, no escaping). */
function rawQuery(labels: Buffer[]): Buffer {
  const name = Buffer.concat([...labels.flatMap((l) => [Buffer.from([l.length]), l]), Buffer.from([0])]);
  const header = Buffer.from([0x12, 0x34, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, name, Buffer.from([0, 1, 0, 1])]);
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}
