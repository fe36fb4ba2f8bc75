import { describe, expect, it } from 'vitest';
import { addressRecord } from '../wire/rdata.js';
import { RRType } from '../wire/types.js';
import { httpsAnswer, httpsTemplate, withHints } from './https-hints.js';
import { loadLbText } from './load.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('HTTPS template of a load balancer', () => {
  it('inserts the hints in key order: ipv4hint after port, ipv6hint after ech', () => {
    const template = httpsTemplate({ priority: 1, target: '.', params: 'alpn=h2 port=443 ech=AAAA key7=x' }, 'example.com');
    if ('problem' in template) throw new Error(template.problem);
    const v4 = [Uint8Array.from([192, 0, 2, 1])];
    const v6 = [Uint8Array.from({ length: 16 }, (_, i) => (i === 15 ? 1 : 0))];
    const keys: number[] = [];
    const rdata = withHints(template, v4, v6);
    for (let at = 3; at < rdata.length; at += 4 + ((rdata[at + 2]! << 8) | rdata[at + 3]!)) keys.push((rdata[at]! << 8) | rdata[at + 1]!);
    expect(keys).toEqual([1, 3, 4, 5, 6, 7]);
    expect(hex(withHints(template, [], []))).toBe(hex(template));
  });

  it('builds one RRset per pair of answers, and the hints follow the answers', () => {
    const template = httpsTemplate({ priority: 1, target: '.', params: '' }, 'example.com') as Uint8Array;
    const a1 = [addressRecord('www.example.com', '192.0.2.1', 30)];
    const a2 = [addressRecord('www.example.com', '192.0.2.2', 30)];
    const first = httpsAnswer('www.example.com', 30, template, a1, null);
    expect(httpsAnswer('www.example.com', 30, template, a1, null)).toBe(first);
    const second = httpsAnswer('www.example.com', 30, template, a2, null);
    expect(second).not.toBe(first);
    expect(second[0]!.type).toBe(RRType.HTTPS);
    expect(hex((second[0]!.data as { bytes: Uint8Array }).bytes)).toBe('000100' + '00040004c0000202');
  });

  it.each([
    ['params: "alpn=h2 alpn=h3"', 'appears twice'],
    ['params: "alpn=h2,,h3"', 'empty protocol id'],
    ['params: "ipv4hint=192.0.2.1"', 'come from the load balancer'],
  ])('rejects %s at the https key’s line', (params, message) => {
    const text = `pools:\n  p:\n    origins:\n      - { name: a, address: 192.0.2.1 }\nload_balancers:\n  www:\n    default_pools: [p]\n    https: { ${params} }\n`;
    const r = loadLbText(text, { file: 'x.lb.yaml', origin: 'example.com' });
    const errors = 'errors' in r ? r.errors.map((e) => e.describe()) : [];
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^x\.lb\.yaml:8: /);
    expect(errors[0]).toContain(message);
  });

  it('rejects https on an MX load balancer', () => {
    const text = `pools:\n  p:\n    origins:\n      - { name: a, address: mail.example.com, priority: 10 }\nload_balancers:\n  '@':\n    record_type: MX\n    default_pools: [p]\n    https: {}\n`;
    const r = loadLbText(text, { file: 'x.lb.yaml', origin: 'example.com' });
    expect('errors' in r ? r.errors.map((e) => e.describe()).join('\n') : '').toContain('https needs record_type address');
  });
});
