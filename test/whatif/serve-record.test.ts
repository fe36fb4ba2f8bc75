// `steerdns serve --query-log-file` as an operator runs it: the record is written, truncated as
// asked, flushed when the server stops, and replays (whatif) without a bad line.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecord } from '../../src/replay/record.js';
import { buildQuery, decode, udpExchange } from '../support/dns-client.js';
import { repoRoot } from '../support/build.js';
import { serveCli, stopCli } from '../support/serve-cli.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-serve-record-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('serve --query-log-file', () => {
  it('writes one truncated record per query and flushes it on SIGTERM', async () => {
    const file = path.join(dir, 'queries.jsonl');
    const cli = await serveCli(path.join(repoRoot, 'zones'), [
      '--workers',
      '1',
      '--http',
      'off',
      '--query-log-file',
      file,
      '--query-log-truncate',
      '24/56',
    ]);
    const ask = async (name: string, ecs?: string) =>
      decode(
        await udpExchange(
          '127.0.0.1',
          cli.dnsPort,
          buildQuery({ name, type: 'A', edns: ecs ? { ecs: { ip: ecs, sourcePrefix: 28 } } : undefined }),
        ),
      );
    await ask('www.example.com', '81.2.69.160');
    await ask('api.example.com');
    await ask('nothing.example.org');
    expect(await stopCli(cli.child)).toBe(0);
    const records = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const r = parseRecord(l);
        if ('problem' in r) throw new Error(r.problem);
        return r.record;
      });
    expect(records.map((r) => [r.qname, r.resolver, r.ecs, r.rcode])).toEqual([
      ['www.example.com', '127.0.0.0/24', '81.2.69.0/24', 'NOERROR'],
      ['api.example.com', '127.0.0.0/24', null, 'NOERROR'],
      ['nothing.example.org', '127.0.0.0/24', null, 'REFUSED'],
    ]);
    expect(records[0]).toMatchObject({ lb: 'www.example.com', zone: 'example.com', sample: 1 });
    expect(records[0]!.pool).not.toBeNull();
  }, 30_000);
});
