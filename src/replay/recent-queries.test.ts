import { describe, expect, it } from 'vitest';
import { answered } from '../../test/support/query-answer.js';
import { clientIpOf } from '../net/client-ip.js';
import type { QueryAnswer } from '../query/answer.js';
import { recordOf } from '../query/query-recorder.js';
import type { Query, Reply } from '../wire/types.js';
import { RecentQueries } from './recent-queries.js';
import type { QueryRecord } from './record.js';

/** An answer to `qname` A whose query carried ECS `address`/24 (a view of `ring`, as on the batched path) or none. */
function answer(qname: string, transport: 'udp' | 'tcp', ring: Uint8Array | null, rcode = 0): QueryAnswer {
  const ecs = ring === null ? null : { family: 1 as const, sourcePrefix: 24, scopePrefix: 0, address: ring.subarray(0, 3) };
  const question = { qnameWire: new Uint8Array(0), qname, qtype: 1, qclass: 1 };
  const edns = { udpSize: 1232, dnssecOk: false, version: 0, ecs, cookie: null, nsid: false };
  const query = { ...question, id: 1, opcode: 0, rd: true, cd: false, edns } as unknown as Query;
  const reply = {
    rcode,
    question,
    answer: [],
    authority: [],
    additional: [],
    edns: ecs === null ? null : { ...edns, ecs: { ...ecs, scopePrefix: 20 } },
  } as unknown as Reply;
  return answered('example.com', reply, transport, 1, query);
}

describe('RecentQueries', () => {
  it('keeps every sampled query as the same record the query log writes, made when read', () => {
    let now = 1_000;
    const recent = new RecentQueries({ sampleEvery: 2, capacity: 8, now: () => now });
    const ring = Uint8Array.from([198, 51, 100]);
    const expected: QueryRecord[] = [];
    const asks: [QueryAnswer, string][] = [
      [answer('a.example.com', 'udp', ring), '192.0.2.1'],
      [answer('b.example.com', 'udp', ring), '192.0.2.2'],
      [answer('c.example.com', 'tcp', null, 3), '2001:db8::1'],
      [answer('d.example.com', 'udp', null), '192.0.2.4'],
      [answer(`${'x'.repeat(400)}.example.com`, 'udp', null), '192.0.2.5'],
      [answer('f.example.com', 'udp', null), '192.0.2.6'],
      [answer('g.example.com', 'udp', ring), '192.0.2.7'],
    ];
    for (const [i, [a, client]] of asks.entries()) {
      now += 10;
      // One in two, from the first; a name too long to replay is not kept.
      if (i % 2 === 0) {
        const record = recordOf(a, client, now, 2, null);
        if (record !== null) expected.push(record);
      }
      recent.observe(a, clientIpOf(client));
      // The receive buffer is reused for the next datagram: what was kept must not change with it.
      ring.set([203, 0, 113 + i]);
    }
    expect(expected.map((r) => r.qname)).toEqual(['a.example.com', 'c.example.com', 'g.example.com']);
    expect(expected[0]!.ecs).toBe('198.51.100.0/24');
    expect(recent.between(0)).toEqual(expected);
    // Read again: the same records; and a window in time.
    expect(recent.between(0)).toEqual(expected);
    expect(recent.between(1_025, 1_045).map((r) => r.qname)).toEqual(['c.example.com']);
  });

  it("interleaves a worker's records, overwrites the oldest slot when full, and returns them oldest first", () => {
    let now = 5_000;
    const recent = new RecentQueries({ sampleEvery: 1, capacity: 3, now: () => now });
    const sent = recordOf(answer('w.example.com', 'udp', null), '192.0.2.9', 4_990, 16, null)!;
    recent.observe(answer('p.example.com', 'udp', null), clientIpOf('192.0.2.1'));
    recent.add([sent]);
    now += 5;
    recent.observe(answer('q.example.com', 'udp', null), clientIpOf('192.0.2.1'));
    expect(recent.between(0).map((r) => r.qname)).toEqual(['w.example.com', 'p.example.com', 'q.example.com']);
    now += 5;
    recent.observe(answer('r.example.com', 'udp', null), clientIpOf('192.0.2.1'));
    expect(recent.between(0).map((r) => [r.qname, r.sample])).toEqual([
      ['w.example.com', 16],
      ['q.example.com', 1],
      ['r.example.com', 1],
    ]);
  });
});
