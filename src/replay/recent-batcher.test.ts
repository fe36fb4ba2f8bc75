import { afterEach, describe, expect, it } from 'vitest';
import { clientIpOf } from '../net/client-ip.js';
import { queryAnswer } from '../../test/support/query-answer.js';
import { eventually } from '../../test/support/eventually.js';
import type { Reply } from '../wire/types.js';
import { RecentBatcher } from './recent-batcher.js';
import type { QueryRecord } from './record.js';

const answer = (qname: string) =>
  queryAnswer({
    reply: { rcode: 0, question: { qname, qtype: 1, qclass: 1 }, answer: [], edns: null } as unknown as Reply,
    transport: 'udp',
    qtype: 1,
    kind: 'nodata',
    zone: 'example.com',
    lb: null,
  });

let batcher: RecentBatcher | null = null;
afterEach(() => batcher?.stop());

describe('RecentBatcher', () => {
  it('keeps one query in sampleEvery, as RecentQueries does, and sends a full batch without waiting for the timer', async () => {
    const batches: QueryRecord[][] = [];
    batcher = new RecentBatcher({ sampleEvery: 4, batchSize: 3, flushMs: 60_000 });
    batcher.start((records, done) => {
      batches.push(records);
      done();
      return true;
    });
    for (let i = 0; i < 12; i++) batcher.observe(answer(`q${i}.example.com`), clientIpOf('192.0.2.1'));
    await eventually('the full batch sent', () => batches.length === 1);
    expect(batches[0]!.map((r) => r.qname)).toEqual(['q0.example.com', 'q4.example.com', 'q8.example.com']);
    expect(batches[0]![0]).toMatchObject({ sample: 4, resolver: '192.0.2.1', rcode: 'NOERROR' });
  });

  it('sends what waits after flushMs, one batch in flight at a time', async () => {
    const batches: QueryRecord[][] = [];
    let release: (() => void) | null = null;
    batcher = new RecentBatcher({ sampleEvery: 1, batchSize: 100, flushMs: 20 });
    batcher.start((records, done) => {
      batches.push(records);
      release = done;
      return true;
    });
    batcher.observe(answer('a.example.com'), clientIpOf('192.0.2.1'));
    await eventually('the first batch sent by the timer', () => batches.length === 1);
    batcher.observe(answer('b.example.com'), clientIpOf('192.0.2.1'));
    // The first batch has not left yet: the second waits, whatever the timer says.
    batcher.flush();
    expect(batches.length).toBe(1);
    expect(batcher.pending).toBe(1);
    release!();
    await eventually('the second batch sent once the first left', () => batches.length === 2);
    expect(batches.map((b) => b.map((r) => r.qname))).toEqual([['a.example.com'], ['b.example.com']]);
  });

  it('drops the oldest records while the receiver is slow, and counts them', async () => {
    const batches: QueryRecord[][] = [];
    let release: (() => void) | null = null;
    let slow = true;
    batcher = new RecentBatcher({ sampleEvery: 1, batchSize: 2, capacity: 4, flushMs: 60_000 });
    batcher.start((records, done) => {
      batches.push(records);
      if (slow) release = done;
      else done();
      return true;
    });
    batcher.observe(answer('q0.example.com'), clientIpOf('192.0.2.1'));
    batcher.observe(answer('q1.example.com'), clientIpOf('192.0.2.1'));
    await eventually('the first batch in flight', () => batches.length === 1);
    for (let i = 2; i < 12; i++) batcher.observe(answer(`q${i}.example.com`), clientIpOf('192.0.2.1'));
    expect(batcher.pending).toBe(4);
    expect(batcher.dropped).toBe(6);
    slow = false;
    release!();
    await eventually('what waited sent', () => batcher!.pending === 0 && batches.length === 3);
    expect(batches.flat().map((r) => r.qname)).toEqual(['q0', 'q1', 'q8', 'q9', 'q10', 'q11'].map((q) => `${q}.example.com`));
  });
});
