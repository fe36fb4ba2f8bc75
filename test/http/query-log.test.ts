// The query log on the real server: the client address comes from the answer tap, sampling
// holds over real queries, and nothing is installed when it is off.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryLog } from '../../src/query/query-log.js';
import { startHarness, type Harness } from './harness.js';

const ZONE = `$TTL 300
@   IN SOA ns hostmaster 1 3600 600 86400 60
    IN NS  ns
ns  IN A   192.0.2.1
www IN A   192.0.2.2
www IN A   192.0.2.3
`;

const chunks: string[] = [];
const lines = (): Record<string, unknown>[] =>
  chunks
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
let h: Harness;

beforeAll(async () => {
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const log = new QueryLog(pino({ level: 'info' }, stream), { sampleEvery: 3 });
  h = await startHarness({ zones: { 'ql.test.zone': ZONE }, extra: log });
});
afterAll(() => h?.close());

describe('query log on the real server', () => {
  it('logs one query in three with the client address, ECS and answer count', async () => {
    for (let i = 0; i < 6; i++) {
      await h.dns.udp({ name: i === 3 ? 'WWW.ql.test' : 'www.ql.test', type: 'A', edns: { ecs: { ip: '203.0.113.0', sourcePrefix: 24 } } });
    }
    await h.dns.tcp({ name: 'missing.ql.test', type: 'AAAA' });
    const got = lines();
    expect(got).toHaveLength(3);
    expect(got[0]).toMatchObject({
      msg: 'query',
      client: '127.0.0.1',
      transport: 'udp',
      qname: 'www.ql.test',
      qtype: 'A',
      rcode: 'NOERROR',
      zone: 'ql.test',
      answers: 2,
      ecs: '203.0.113.0/24',
      ecsScope: 0,
    });
    expect(got[1]).toMatchObject({ qname: 'www.ql.test' }); // the 4th query, lowercased
    expect(got[2]).toMatchObject({
      client: '127.0.0.1',
      transport: 'tcp',
      qname: 'missing.ql.test',
      qtype: 'AAAA',
      rcode: 'NXDOMAIN',
      answers: 0,
      ecs: null,
    });
  });
});
