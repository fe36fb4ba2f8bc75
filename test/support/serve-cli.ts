// `steerdns serve` as a child process for CLI tests: started on port 0, ready once its log says
// where DNS (and HTTP, when expected) listen.
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { cliPath, repoRoot } from './build.js';

export interface ServedCli {
  child: ChildProcess;
  /** Resolves once stdout is fully read (after exit). */
  drained: Promise<void>;
  /** Every log line so far, parsed. */
  lines: Record<string, unknown>[];
  dnsPort: number;
  httpUrl: string | null;
  /** Everything written to stderr so far. */
  stderr(): string;
}

export interface ServeCliOptions {
  /** Wait for the "http listening" line too. */
  readonly expectHttp?: boolean;
  readonly env?: Record<string, string>;
}

/** `serve --zones DIR --geoip off --listen 127.0.0.1:0 ...args`; rejects if it exits or takes 15 s. */
export function serveCli(zones: string, args: readonly string[], opts: ServeCliOptions = {}): Promise<ServedCli> {
  const child = spawn(process.execPath, [cliPath(), 'serve', '--zones', zones, '--geoip', 'off', '--listen', '127.0.0.1:0', ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...opts.env },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines: Record<string, unknown>[] = [];
  const rl = readline.createInterface({ input: child.stdout! });
  const drained = new Promise<void>((resolve) => rl.once('close', () => resolve()));
  return new Promise((resolve, reject) => {
    let dnsPort = 0;
    let httpUrl: string | null = null;
    const timer = setTimeout(() => reject(new Error(`serve did not come up: ${JSON.stringify(lines)}${stderr}`)), 15_000);
    rl.on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      lines.push(entry);
      const msg = String(entry.msg ?? '');
      if (msg.startsWith('listening')) dnsPort = Number(entry.port);
      if (msg.startsWith('http listening')) httpUrl = `http://127.0.0.1:${Number(entry.port)}`;
      if (dnsPort && (httpUrl || !opts.expectHttp)) {
        clearTimeout(timer);
        resolve({ child, drained, lines, dnsPort, httpUrl, stderr: () => stderr });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${stderr}`));
    });
  });
}

/** How long `serve` may take to exit after SIGTERM before a test calls it a hang. */
const STOP_DEADLINE_MS = 30_000;

/**
 * SIGTERM, then the exit code (at once if it already exited; null if a signal killed it). A
 * server still running after the deadline is killed and the call rejects: a hang on stop is a bug.
 */
export async function stopCli(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), STOP_DEADLINE_MS)));
  const first = await Promise.race([exited, deadline]);
  clearTimeout(timer);
  if (first !== 'hang') return first;
  child.kill('SIGKILL');
  await exited;
  throw new Error(`serve (pid ${child.pid}) did not exit within ${STOP_DEADLINE_MS} ms of SIGTERM`);
}
