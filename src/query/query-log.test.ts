import { Writable } from 'node:stream';
import { clientIpOf } from '../net/client-ip.js';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { RRType, Rcode, type Query, type Reply } from '../wire/types.js';
import { answered, dropped } from '../../test/support/query-answer.js';
import type { QueryObserver } from './observer.js';
import { combineObservers, formatSubnet, MAX_LOGGED_NAME, QueryLog } from './query-log.js';

function capture(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ level: 'info' }, stream);
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

function query(qname: string, ecs: Query['edns'] = null): Query {
  return { id: 1, opcode: 0, rd: false, cd: false, qname, qnameWire: new Uint8Array(0), qtype: RRType.A, qclass: 1, edns: ecs, size: 30 };
}

function reply(q: Query, rcode: number, answers: number): Reply {
  const rr = { name: q.qname, type: RRType.A, ttl: 60, data: { kind: 'raw' as const, bytes: new Uint8Array([192, 0, 2, 1]) } };
  return {
    id: q.id,
    opcode: 0,
    rcode,
    aa: true,
    rd: false,
    cd: false,
    question: q,
    answer: answers > 0 ? [Array.from({ length: answers }, () => rr)] : [],
    authority: [],
    additional: [],
    edns: null,
  };
}

describe('QueryLog', () => {
  it('writes one line per query with client, name, type, rcode, transport, zone, answers and ECS', () => {
    const { logger, lines } = capture();
    const log = new QueryLog(logger);
    const ecs = { family: 1 as const, sourcePrefix: 24, scopePrefix: 0, address: new Uint8Array([198, 51, 100]) };
    const q = query('www.example.com', { version: 0, udpSize: 1232, dnssecOk: false, ecs });
    log.observe(answered('example.com', reply(q, Rcode.NOERROR, 2), 'udp', RRType.A, q), clientIpOf('192.0.2.53'));
    log.observe(answered(null, reply(query('x.other'), Rcode.REFUSED, 0), 'tcp', RRType.A, query('x.other')), clientIpOf('2001:db8::53'));
    expect(lines()).toMatchObject([
      {
        msg: 'query',
        client: '192.0.2.53',
        transport: 'udp',
        qname: 'www.example.com',
        qtype: 'A',
        rcode: 'NOERROR',
        zone: 'example.com',
        answers: 2,
        ecs: '198.51.100.0/24',
      },
      { msg: 'query', client: '2001:db8::53', transport: 'tcp', qname: 'x.other', rcode: 'REFUSED', zone: null, answers: 0, ecs: null },
    ]);
  });

  it('logs one query in N', () => {
    const { logger, lines } = capture();
    const log = new QueryLog(logger, { sampleEvery: 4 });
    for (let i = 0; i < 12; i++) {
      const q = query(`q${i}.example.com`);
      log.observe(answered('example.com', reply(q, Rcode.NOERROR, 1), 'udp', RRType.A, q), clientIpOf('192.0.2.1'));
    }
    log.observe(dropped('message of 3 bytes, shorter than a header', 'udp'), clientIpOf('192.0.2.1'));
    expect(
      lines()
        .filter((l) => l.msg === 'query')
        .map((l) => l.qname),
    ).toEqual(['q0.example.com', 'q4.example.com', 'q8.example.com']);
    // The 13th event (a drop) is the 1st of the next group of 4: logged.
    const all = lines();
    expect(all).toHaveLength(4);
    expect(all[3]).toMatchObject({ msg: 'query dropped', dropped: 'message of 3 bytes, shorter than a header' });
  });

  it('caps long names; hostile bytes stay inside a JSON string', () => {
    const { logger, lines } = capture();
    const log = new QueryLog(logger);
    const nasty = `${'\\010\\"'.repeat(100)}x\n{"fake":1}`;
    const q = query(nasty);
    log.observe(answered('example.com', reply(q, Rcode.NXDOMAIN, 0), 'udp', RRType.A, q), clientIpOf('192.0.2.1'));
    const [line] = lines();
    expect(lines()).toHaveLength(1);
    expect((line!.qname as string).length).toBe(MAX_LOGGED_NAME + 1);
    expect(line).not.toHaveProperty('fake');
  });

  it('formats ECS subnets of both families', () => {
    expect(formatSubnet({ family: 2, sourcePrefix: 48, scopePrefix: 0, address: new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 1]) })).toBe(
      '2001:db8:1::/48',
    );
    expect(formatSubnet({ family: 1, sourcePrefix: 0, scopePrefix: 0, address: new Uint8Array(0) })).toBe('0.0.0.0/0');
  });
});

describe('combineObservers', () => {
  it('is null for no observer, the observer itself for one, and calls each in order otherwise', () => {
    expect(combineObservers(null, undefined)).toBeNull();
    const calls: string[] = [];
    const make = (name: string): QueryObserver => ({
      observe: (answer, client) => calls.push(`${name} ${answer.kind} ${answer.zone} ${client.text()}`),
    });
    const one = make('a');
    expect(combineObservers(null, one)).toBe(one);
    const both = combineObservers(make('a'), null, make('b'))!;
    both.observe(answered('z', reply(query('q'), 0, 0), 'udp', 1), clientIpOf('192.0.2.1'), -1);
    both.observe(dropped('r', 'tcp'), clientIpOf('192.0.2.2'), -1);
    expect(calls).toEqual(['a nodata z 192.0.2.1', 'b nodata z 192.0.2.1', 'a dropped null 192.0.2.2', 'b dropped null 192.0.2.2']);
  });
});
