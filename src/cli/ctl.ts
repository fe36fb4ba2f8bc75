// steerdns ctl: operator overrides on a running server through its HTTP API
// (docs/operations.md#steerdns-ctl). Its own flags: none of them is a server setting.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

export const CTL_USAGE = `  steerdns ctl drain|undrain|force-up|force-down TARGET --zone ZONE [--reason TEXT] [--for 30m]
                   [--server URL] [--token-file FILE]
  steerdns ctl list [--zone ZONE] [--server URL] [--token-file FILE]`;

const FLAGS = {
  zone: { type: 'string' },
  reason: { type: 'string' },
  for: { type: 'string' },
  server: { type: 'string' },
  'token-file': { type: 'string' },
} as const;

interface OverrideView {
  id: string;
  zone: string;
  target: string;
  action: string;
  reason: string;
  author: string;
  expiresAt: string | null;
}

class CtlError extends Error {}

export async function runCtl(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let values: { zone?: string; reason?: string; for?: string; server?: string; 'token-file'?: string };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: [...argv], options: FLAGS, allowPositionals: true }));
  } catch (err) {
    process.stderr.write(`steerdns ctl: ${(err as Error).message}\n${CTL_USAGE}\n`);
    return 2;
  }
  const [verb, target, ...extra] = positionals;
  const usage = (why: string): number => {
    process.stderr.write(`steerdns ctl: ${why}\n${CTL_USAGE}\n`);
    return 2;
  };
  if (verb === undefined) return usage('which action?');
  if (extra.length > 0) return usage(`unexpected ${extra.join(' ')}`);
  const server = (values.server ?? env.STEERDNS_SERVER ?? 'http://127.0.0.1:9153').replace(/\/+$/, '');
  try {
    const token = values['token-file'] !== undefined ? readToken(values['token-file']) : (env.STEERDNS_HTTP_TOKEN ?? null);
    const api = (method: string, path: string, body?: unknown) => call(server, token, method, path, body);
    if (verb === 'list') {
      const { overrides } = (await api('GET', '/api/v1/overrides')) as { overrides: OverrideView[] };
      const shown = overrides.filter((o) => values.zone === undefined || o.zone === values.zone.toLowerCase().replace(/\.$/, ''));
      for (const o of shown) process.stdout.write(`${line(o)}\n`);
      if (shown.length === 0) process.stderr.write('steerdns ctl: no overrides\n');
      return 0;
    }
    if (!['drain', 'undrain', 'force-up', 'force-down'].includes(verb)) return usage(`unknown action "${verb}"`);
    if (target === undefined) return usage(`${verb} needs a TARGET (a pool or origin name)`);
    if (values.zone === undefined) return usage(`${verb} needs --zone`);
    const zone = values.zone.toLowerCase().replace(/\.$/, '');
    if (verb === 'undrain') {
      const { overrides } = (await api('GET', '/api/v1/overrides')) as { overrides: OverrideView[] };
      const matching = overrides.filter((o) => o.zone === zone && o.target === target && o.action === 'drain');
      if (matching.length === 0) throw new CtlError(`no drain of ${target} in ${zone}`);
      for (const o of matching) {
        await api('DELETE', `/api/v1/overrides/${encodeURIComponent(o.id)}`);
        process.stdout.write(`removed ${line(o)}\n`);
      }
      return 0;
    }
    if (values.reason === undefined) return usage(`${verb} needs --reason`);
    const made = (await api('POST', '/api/v1/overrides', {
      zone,
      target,
      action: verb,
      reason: values.reason,
      ...(values.for === undefined ? {} : { for: values.for }),
    })) as OverrideView;
    process.stdout.write(`${line(made)}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`steerdns ctl: ${(err as Error).message}\n`);
    return 1;
  }
}

function line(o: OverrideView): string {
  return `${o.id} ${o.action} ${o.target} (${o.zone}) by ${o.author}, ${o.expiresAt === null ? 'no expiry' : `expires ${o.expiresAt}`}: ${o.reason}`;
}

function readToken(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CtlError(`--token-file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  // A server's NAME ROLE TOKEN file: the first write token; else the file is the token.
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => l !== '');
  const roles = lines.map((l) => l.split(/\s+/)).filter((f) => f.length === 3);
  const write = roles.find((f) => f[1] === 'write') ?? roles[0];
  return write?.[2] ?? lines[0] ?? '';
}

async function call(server: string, token: string | null, method: string, path: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${server}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    throw new CtlError(`${server}: ${cause ?? (err as Error).message}`);
  }
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: reported as text below.
  }
  if (!res.ok) {
    const why = (parsed as { error?: string } | null)?.error ?? text.slice(0, 200);
    throw new CtlError(`${method} ${path}: HTTP ${res.status}: ${why}`);
  }
  return parsed;
}
