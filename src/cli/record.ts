// steerdns record --from URL: the recent queries a running server kept (one in 16, from every
// worker with --workers N), saved as query record lines on stdout, for whatif and scenarios. The one replay
// command that uses the network; the token comes from STEERDNS_HTTP_TOKEN.
import type { CliOptions } from './options.js';

export async function runRecord(options: CliOptions, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const from = options.replay.from;
  if (from === undefined) {
    process.stderr.write('usage: steerdns record --from http://127.0.0.1:9153[?minutes=N] > queries.jsonl\n');
    return 2;
  }
  let url: URL;
  try {
    url = new URL(from);
  } catch {
    process.stderr.write(`steerdns record: --from ${from}: not a URL\n`);
    return 2;
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/api/v1/queries/recent';
  const token = env.STEERDNS_HTTP_TOKEN;
  try {
    const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    if (!res.ok) {
      process.stderr.write(`steerdns record: ${url.origin}${url.pathname}: HTTP ${res.status} ${text.slice(0, 300)}\n`);
      return 1;
    }
    process.stdout.write(text);
    const lines = text === '' ? 0 : text.split('\n').length - 1;
    process.stderr.write(`steerdns record: ${lines} query record(s) from ${url.origin}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`steerdns record: ${url.origin}: ${(err as Error).message}\n`);
    return 1;
  }
}
