import { describe, expect, it } from 'vitest';
import { clientIpOf } from '../net/client-ip.js';
import { Writable } from 'node:stream';
import dnsPacket from 'dns-packet';
import { pino } from 'pino';
import { encodeQuery } from '../wire/encode-query.js';
import { HealthTable } from '../health/table.js';
import { QueryPipeline } from './pipeline.js';
import { StateHolder } from '../config/state.js';

describe('query pipeline', () => {
  it('turns a failure while answering into SERVFAIL for that query, logged, and keeps answering', () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'error' },
      new Writable({
        write: (chunk, _enc, done) => {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const state = new StateHolder(new HealthTable().snapshot(), null);
    let broken = true;
    // A zone set whose lookup blows up stands in for any bug below the pipeline.
    const real = state.current;
    const zones = {
      find: (q: string) => {
        if (broken) throw new Error(`boom at ${q}`);
        return real.zones.find(q);
      },
    };
    Object.defineProperty(state, 'current', { get: () => ({ ...real, zones }) });
    const p = new QueryPipeline({ state, logger });
    const q = encodeQuery({ id: 9, qname: 'www.example.com', qtype: 1, rd: true });
    const r = dnsPacket.decode(Buffer.from(p.answer(q, clientIpOf('127.0.0.1'), 'udp').bytes!)) as unknown as { id: number; rcode: string };
    expect(r.id).toBe(9);
    expect(r.rcode).toBe('SERVFAIL');
    expect(lines).toHaveLength(1);
    const logged = JSON.parse(lines[0]!) as { msg: string; err: { message: string } };
    expect(logged.msg).toBe('query failed');
    expect(logged.err.message).toBe('boom at www.example.com');
    broken = false;
    const again = dnsPacket.decode(Buffer.from(p.answer(q, clientIpOf('127.0.0.1'), 'udp').bytes!)) as unknown as { rcode: string };
    expect(again.rcode, lines.join('')).toBe('REFUSED');
  });
});
