// A third-party daemon for the interop suites (knotd, unbound), run in the foreground in its own
// temporary directory with its output kept: started when `ready` resolves, or failed with that
// output when it exits first or `ready` rejects (a deadline). stop() ends it (SIGTERM, SIGKILL
// after 5 s) and removes the directory.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';

export interface Daemon {
  /** Everything it printed so far. */
  log(): string;
  stop(): Promise<void>;
}

export async function startDaemon(
  name: string,
  command: string,
  args: readonly string[],
  dir: string,
  ready: () => Promise<unknown>,
): Promise<Daemon> {
  let output = '';
  const child = spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.once('error', (err) => {
      output += `spawn error: ${err.message}\n`;
      exited = { code: -1, signal: null };
      resolve();
    });
  });

  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exitPromise;
      clearTimeout(killTimer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const died = exitPromise.then(() => {
      throw new Error(`${name} exited before serving (${JSON.stringify(exited)})`);
    });
    await Promise.race([ready(), died]);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${name} output:\n${output}`);
  }
  return { log: () => output, stop };
}
