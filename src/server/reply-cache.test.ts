import { describe, expect, it } from 'vitest';
import dnsPacket from 'dns-packet';
import { encodeQuery } from '../wire/encode-query.js';
import { HealthTable } from '../health/table.js';
import { buildZone } from '../zone/build.js';
import { parseZoneText } from '../zone/parser.js';
import { QueryPipeline } from './pipeline.js';
import { silentLogger } from './logger.js';
import { StateHolder, type OriginConfig } from './state.js';

function stateWith(text: string): StateHolder {
  const parsed = parseZoneText(text, { file: 'mem.zone', origin: 'cache.test', zonesDir: '/' });
  const built = buildZone('cache.test', parsed.records, { file: 'mem.zone' });
  if (!('zone' in built)) throw new Error('bad fixture');
  const holder = new StateHolder(new HealthTable().snapshot(), null);
  const origin: OriginConfig = { origin: 'cache.test', zone: built.zone, lb: null, zoneFile: 'mem.zone', lbFile: null, loadedAt: 0 };
  holder.setOrigins(new Map([['cache.test', origin]]));
  return holder;
}

const ZONE = (addr: string): string => `$TTL 60
@   IN SOA ns h 1 1 1 1 1
    IN NS ns
ns  IN A 192.0.2.1
www IN A ${addr}
`;

const ask = (p: QueryPipeline, qname: string, id: number, rd: boolean) =>
  dnsPacket.decode(Buffer.from(p.answer(encodeQuery({ id, qname, qtype: 1, rd }), '127.0.0.1', 'udp')!)) as unknown as {
    id: number;
    flag_rd: boolean;
    questions: { name: string }[];
    answers: { name: string; data: string }[];
  };

describe('reply cache', () => {
  it('serves repeated questions with each client\'s ID, RD bit and letter case', () => {
    const p = new QueryPipeline({ state: stateWith(ZONE('192.0.2.7')), logger: silentLogger() });
    const first = ask(p, 'www.cache.test', 1, true);
    const second = ask(p, 'WWW.Cache.TEST', 2, false);
    expect(first.id).toBe(1);
    expect(first.flag_rd).toBe(true);
    expect(second.id).toBe(2);
    expect(second.flag_rd).toBe(false);
    expect(second.questions[0]!.name).toBe('WWW.Cache.TEST');
    expect(second.answers[0]!.name).toBe('WWW.Cache.TEST');
    expect(second.answers[0]!.data).toBe('192.0.2.7');
  });

  it('never serves an answer from a previous serving state', () => {
    const state = stateWith(ZONE('192.0.2.7'));
    const p = new QueryPipeline({ state, logger: silentLogger() });
    expect(ask(p, 'www.cache.test', 1, true).answers[0]!.data).toBe('192.0.2.7');
    state.setOrigins(stateWith(ZONE('192.0.2.8')).current.origins);
    expect(ask(p, 'www.cache.test', 2, true).answers[0]!.data).toBe('192.0.2.8');
  });

  it('gives the same bytes as an uncached pipeline', () => {
    const cached = new QueryPipeline({ state: stateWith(ZONE('192.0.2.7')), logger: silentLogger() });
    const plain = new QueryPipeline({ state: stateWith(ZONE('192.0.2.7')), logger: silentLogger(), replyCache: false });
    for (const [qname, id] of [['www.cache.test', 5], ['Www.cache.test', 6], ['nope.cache.test', 7], ['nope.cache.test', 8]] as const) {
      const q = encodeQuery({ id, qname, qtype: 1, rd: true, edns: { udpSize: 4096 } });
      expect(Buffer.from(cached.answer(q, '127.0.0.1', 'udp')!)).toEqual(Buffer.from(plain.answer(q, '127.0.0.1', 'udp')!));
    }
  });
});
