// The batched UDP addon under AddressSanitizer and UndefinedBehaviorSanitizer: native/udp_batch.c
// is compiled here with -fsanitize=address,undefined, the real server loads that build
// (STEERDNS_UDP_ADDON) with the sanitizer runtimes preloaded, and takes a seeded flood of damaged
// datagrams — random bytes of every length from 0 to 512, valid queries with flipped bytes or cut
// short, EDNS options with lying lengths, datagrams of the largest UDP size. It must keep answering,
// stop cleanly, and the sanitizers must report nothing. Needs gcc, its libasan/libubsan and Node's
// headers (CI installs g++); without them it skips visibly, and fails under STEERDNS_REQUIRE_INTEROP=1.
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../support/lb-fixtures.js';
import { buildQuery, decode, udpExchange } from '../support/dns-client.js';
import { eventually } from '../support/eventually.js';
import { serveCli, stopCli } from '../support/serve-cli.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const zonesDir = path.join(here, '../fixtures/conformance');
const MAX_UDP = 65507;

/** What the sanitized build needs, or why it cannot be made here. */
function toolchain(): { headers: string; runtimes: string[] } | { missing: string } {
  if (process.platform !== 'linux') return { missing: 'the batched addon is Linux only' };
  const gcc = spawnSync('gcc', ['--version'], { encoding: 'utf8' });
  if (gcc.status !== 0) return { missing: 'gcc is not installed (apt-get install g++)' };
  // Beside the running Node (Debian's nodejs, the official images), else where node-gyp put the
  // ones it downloaded when npm install built the addon.
  const candidates = [
    path.join(path.dirname(process.execPath), '..', 'include', 'node'),
    path.join(os.homedir(), '.cache', 'node-gyp', process.versions.node, 'include', 'node'),
  ];
  const headers = candidates.find((dir) => existsSync(path.join(dir, 'node_api.h')));
  if (headers === undefined) return { missing: `Node's headers are in none of ${candidates.join(', ')}` };
  const runtimes = ['libasan.so', 'libubsan.so'].map((lib) =>
    spawnSync('gcc', [`-print-file-name=${lib}`], { encoding: 'utf8' }).stdout.trim(),
  );
  const absent = runtimes.filter((r) => !path.isAbsolute(r) || !existsSync(r));
  if (absent.length > 0) return { missing: `gcc has no ${absent.join(', ')} (the sanitizer runtimes)` };
  return { headers, runtimes };
}

const tools = toolchain();
if ('missing' in tools) {
  const message = `sanitized addon test skipped: ${tools.missing}`;
  if (process.env.STEERDNS_REQUIRE_INTEROP === '1')
    throw new Error(`${message}. STEERDNS_REQUIRE_INTEROP=1, so this fails instead of skipping.`);
  console.warn(`[skipped] ${message}`);
}

/** Seeded junk: every kind of damage the socket path could meet, `n` datagrams of it. */
function junk(n: number, seed: number): Uint8Array[] {
  const random = seededRandom(seed);
  const int = (max: number) => Math.floor(random() * max);
  const valid = buildQuery({ name: 'www.example.com', type: 'A', edns: { udpSize: 1232, ecs: { ip: '127.0.1.0', sourcePrefix: 24 } } });
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    switch (i % 5) {
      case 0: // random bytes, 0 to 512 of them
        out.push(Uint8Array.from({ length: int(513) }, () => int(256)));
        break;
      case 1: {
        // a valid query with a few bytes flipped
        const p = Uint8Array.from(valid);
        for (let k = 1 + int(4); k > 0; k--) p[int(p.length)] = int(256);
        out.push(p);
        break;
      }
      case 2: // a valid query cut short
        out.push(valid.subarray(0, int(valid.length)));
        break;
      case 3: {
        // an EDNS option whose length runs past the end
        const p = Uint8Array.from(valid);
        p[p.length - 10] = 0xff;
        p[p.length - 9] = int(256);
        out.push(p);
        break;
      }
      default: // now and then the largest datagram UDP carries, else a valid query
        out.push(i % 50 === 4 ? Uint8Array.from({ length: MAX_UDP }, () => int(256)) : valid);
    }
  }
  return out;
}

describe.skipIf('missing' in tools)('the batched UDP addon under AddressSanitizer and UBSan', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'steerdns-asan-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('survives a flood of damaged datagrams with no sanitizer report, and stops cleanly', { timeout: 120_000 }, async () => {
    if ('missing' in tools) return;
    const addon = path.join(dir, 'udp_batch.node');
    const cc = spawnSync(
      'gcc',
      [
        '-shared',
        '-fPIC',
        '-O1',
        '-g',
        '-fno-omit-frame-pointer',
        '-fsanitize=address,undefined',
        '-fno-sanitize-recover=undefined',
        `-I${tools.headers}`,
        path.join(repoRoot, 'native', 'udp_batch.c'),
        '-o',
        addon,
      ],
      { encoding: 'utf8' },
    );
    expect(cc.status, cc.stderr).toBe(0);
    // Instrumented for real: the build calls into the sanitizer runtimes.
    const image = readFileSync(addon).toString('latin1');
    expect(image).toContain('__asan_report');
    expect(image).toContain('__ubsan_handle');

    const cli = await serveCli(zonesDir, ['--udp-io', 'batch', '--workers', '1', '--http', 'off'], {
      env: {
        STEERDNS_UDP_ADDON: addon,
        LD_PRELOAD: tools.runtimes.join(':'),
        // Leaks of a whole Node process are not the addon's; every error aborts at once.
        ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1:halt_on_error=1',
        UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
      },
    });
    let exitCode: number | null = -1;
    try {
      expect(cli.lines.some((l) => l.udpIo === 'batch')).toBe(true);
      const www = buildQuery({ name: 'www.example.com', type: 'A' });
      const answered = async () => decode(await udpExchange('127.0.0.1', cli.dnsPort, www, 1000)).answers.length === 1;
      const socket = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
      socket.on('message', () => undefined);
      try {
        // In rounds, each ended by a real answer: the flood fills batches without only overflowing the socket.
        for (let round = 0; round < 10; round++) {
          for (const p of junk(2000, 1000 + round)) socket.send(p, cli.dnsPort, '127.0.0.1');
          await eventually(`an answer after junk round ${round}`, answered, { timeoutMs: 20_000 });
        }
      } catch (err) {
        // A sanitizer report ends the process: say what it printed.
        throw new Error(`${(err as Error).message}\nserver stderr:\n${cli.stderr().slice(-4000)}`);
      } finally {
        socket.close();
      }
    } finally {
      exitCode = await stopCli(cli.child);
    }
    const stderr = cli.stderr();
    expect(stderr).not.toMatch(/AddressSanitizer|runtime error|LeakSanitizer/);
    expect(exitCode, stderr).toBe(0);
  });
});
