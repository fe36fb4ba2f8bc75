// Rotating the cookie secret without a restart: a new secret file, a SIGHUP, and cookies of the
// previous secret stay valid while new ones are made with the new secret; once the previous
// secret leaves the file, its cookies get BADCOOKIE. With --workers 2 every worker follows, and
// every worker answers with the --identity given.
import { clientIpOf } from '../../src/net/client-ip.js';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { CookieVerdict, ServerCookies } from '../../src/query/cookies/server-cookies.js';
import { Rcode, RRType } from '../../src/wire/types.js';
import { udpExchange } from '../support/dns-client.js';
import { ednsQuery, readEdnsReply } from '../support/edns-query.js';
import { eventually } from '../support/eventually.js';
import { serveCli, stopCli } from '../support/serve-cli.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const zonesDir = path.join(here, '../fixtures/conformance');
const OLD = '0f0e0d0c0b0a09080706050403020100';
const NEW = 'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf';
const COOKIE = 10;
// A SIGHUP reloads every worker (two phases over IPC); on a loaded 2-core CI machine with the
// rest of the suite running, that and a two-worker start can take many seconds.
const RELOAD_DEADLINE = { timeoutMs: 15_000 };
/** One UDP exchange on that machine: a reply can wait seconds behind a busy worker. */
const ASK_TIMEOUT = 5000;

describe('cookie secret rotation on SIGHUP', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'steerdns-rotate-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const secretFile = path.join(dir, 'cookie-secret');
  const config = path.join(dir, 'steerdns.yaml');
  const writeSecrets = (...secrets: string[]): void => {
    writeFileSync(secretFile, `${secrets.join('\n')}\n`, { mode: 0o600 });
    chmodSync(secretFile, 0o600);
  };

  it.each([1, 2])('with --workers %i', { timeout: 150_000 }, async (workers) => {
    writeSecrets(OLD);
    writeFileSync(config, 'cookie_secret_file: cookie-secret\n');
    // On a failure the report says which step was reached when, and what the server logged.
    const started = Date.now();
    const steps: string[] = [];
    const step = (what: string): void => void steps.push(`${Date.now() - started} ms: ${what}`);
    let logged: readonly Record<string, unknown>[] = [];
    onTestFailed(() => {
      console.error(`cookie rotation, --workers ${workers}, steps:\n${steps.join('\n')}`);
      const tail = logged.slice(-40).map((l) => JSON.stringify(l));
      console.error(`server log (last 40 lines):\n${tail.join('\n')}`);
    });
    step('start');
    const cli = await serveCli(zonesDir, ['--config', config, '--http', 'off', '--workers', String(workers), '--identity', 'node-a']);
    logged = cli.lines;
    step('listening');
    // Every worker up before the rotation starts (a SIGHUP during startup has its own case below).
    if (workers > 1)
      await eventually('every worker answering', () => cli.lines.some((l) => String(l.msg).includes('workers answering')), RELOAD_DEADLINE);
    step('every worker answering');
    try {
      const ask = async (cookie: Uint8Array) =>
        readEdnsReply(
          await udpExchange(
            '127.0.0.1',
            cli.dnsPort,
            ednsQuery('www.example.com', RRType.A, [{ code: COOKIE, data: cookie }]),
            ASK_TIMEOUT,
          ),
        );
      const oldCookie = new ServerCookies({ current: Buffer.from(OLD, 'hex'), previous: null }).make(
        Uint8Array.from([1, 1, 2, 3, 5, 8, 13, 21]),
        clientIpOf('127.0.0.1'),
        Math.floor(Date.now() / 1000),
      );
      expect((await ask(oldCookie)).rcode).toBe(Rcode.NOERROR);
      // The identity reaches every process too (NSID and CHAOS).
      const chaos = readEdnsReply(
        await udpExchange(
          '127.0.0.1',
          cli.dnsPort,
          ednsQuery('id.server', RRType.TXT, [{ code: 3, data: new Uint8Array(0) }], 3),
          ASK_TIMEOUT,
        ),
      );
      expect(chaos.answers.map((a) => String(a.data))).toEqual(['node-a']);
      expect(Buffer.from(chaos.options?.[0]?.data ?? []).toString()).toBe('node-a');

      writeSecrets(NEW, OLD);
      step('first SIGHUP');
      cli.child.kill('SIGHUP');
      const withNew = new ServerCookies({ current: Buffer.from(NEW, 'hex'), previous: null });
      // Every worker has the new secret once a fresh cookie from each verifies under it.
      await eventually(
        'fresh cookies made with the new secret',
        async () => {
          for (let i = 0; i < 6; i++) {
            const r = await ask(Uint8Array.from([9, 9, 9, 9, 9, 9, 9, i]));
            const fresh = r.options?.find((o) => o.code === COOKIE)?.data;
            if (fresh === undefined || withNew.verdict(fresh, clientIpOf('127.0.0.1')) !== CookieVerdict.VALID) return false;
          }
          return true;
        },
        RELOAD_DEADLINE,
      );
      expect((await ask(oldCookie)).rcode).toBe(Rcode.NOERROR);

      writeSecrets(NEW);
      step('second SIGHUP');
      cli.child.kill('SIGHUP');
      await eventually('the old secret is gone', async () => (await ask(oldCookie)).rcode === Rcode.BADCOOKIE, RELOAD_DEADLINE);
      expect(cli.lines.some((l) => String(l.msg).includes('setting cookie_secret_file changed: applied'))).toBe(true);
      expect(JSON.stringify(cli.lines)).not.toContain(NEW);
    } finally {
      step('SIGTERM');
      await stopCli(cli.child);
      step('exited');
    }
  });

  // The first worker logs "listening" while its sibling may still be starting: a SIGHUP then must
  // reach the sibling too, whether it already read the file (it gets the signal once it says
  // hello) or is past that but not serving yet (it takes the new settings when it starts serving).
  it('with --workers 2, a SIGHUP while the workers start reaches every worker', { timeout: 150_000 }, async () => {
    writeSecrets(OLD);
    writeFileSync(config, 'cookie_secret_file: cookie-secret\n');
    const cli = await serveCli(zonesDir, ['--config', config, '--http', 'off', '--workers', '2']);
    onTestFailed(() =>
      console.error(
        `server log (last 40 lines):\n${cli.lines
          .slice(-40)
          .map((l) => JSON.stringify(l))
          .join('\n')}`,
      ),
    );
    try {
      writeSecrets(NEW);
      cli.child.kill('SIGHUP');
      await eventually('both workers answering', () => cli.lines.some((l) => String(l.msg).includes('workers answering')), RELOAD_DEADLINE);
      const withNew = new ServerCookies({ current: Buffer.from(NEW, 'hex'), previous: null });
      // Fresh cookies from many client sockets (the kernel spreads them over both workers) all verify under NEW.
      await eventually(
        'fresh cookies made with the new secret by every worker',
        async () => {
          for (let i = 0; i < 16; i++) {
            const r = readEdnsReply(
              await udpExchange(
                '127.0.0.1',
                cli.dnsPort,
                ednsQuery('www.example.com', RRType.A, [{ code: COOKIE, data: Uint8Array.from([7, 7, 7, 7, 7, 7, 7, i]) }]),
                ASK_TIMEOUT,
              ),
            );
            const fresh = r.options?.find((o) => o.code === COOKIE)?.data;
            if (fresh === undefined || withNew.verdict(fresh, clientIpOf('127.0.0.1')) !== CookieVerdict.VALID) return false;
          }
          return true;
        },
        RELOAD_DEADLINE,
      );
    } finally {
      await stopCli(cli.child);
    }
  });
});
