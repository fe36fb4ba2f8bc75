import { describe, expect, it } from 'vitest';
import { parseRecord } from './record.js';
import { RecordScan } from './record-scan.js';

const LINE =
  '{"v":1,"ts":1796400000000,"transport":"udp","resolver":"192.0.2.1","ecs":"81.2.69.0/24","qname":"www.example.com","qtype":"A","rcode":"NOERROR","kind":"answer","zone":"example.com","lb":"www.example.com","pool":"eu-west","origins":["a","b"],"scope":24,"sample":1}';

/** What the scan read, in parseRecord's terms. */
function scanned(line: string): Record<string, unknown> | null {
  const buf = Buffer.from(`xx${line}yy`, 'utf8');
  const s = new RecordScan();
  if (!s.scan(buf, 2, buf.length - 2)) return null;
  const text = (a: number, b: number): string => buf.toString('utf8', a, b);
  return {
    ts: s.ts,
    transport: s.tcp ? 'tcp' : 'udp',
    resolver: text(s.resolverStart, s.resolverEnd),
    ecs: s.ecsStart < 0 ? null : text(s.ecsStart, s.ecsEnd),
    qname: text(s.qnameStart, s.qnameEnd),
    qtype: text(s.qtypeStart, s.qtypeEnd),
    sample: s.sample,
  };
}

function parsed(line: string): Record<string, unknown> | null {
  const p = parseRecord(line);
  if ('problem' in p) return null;
  const { ts, transport, resolver, ecs, qname, qtype, sample } = p.record;
  return { ts, transport, resolver, ecs, qname, qtype, sample };
}

describe('RecordScan', () => {
  it("reads the writer's lines as parseRecord does", () => {
    expect(scanned(LINE)).toEqual(parsed(LINE));
    expect(scanned(LINE)).not.toBeNull();
    for (const variant of [
      LINE.replace('"udp"', '"tcp"'),
      LINE.replace('"udp"', '"quic"'),
      LINE.replace('"81.2.69.0/24"', 'null'),
      LINE.replace('"ecs":"81.2.69.0/24",', ''),
      LINE.replace('"sample":1', '"sample":0'),
      LINE.replace('"sample":1', '"sample":"x"'),
      LINE.replace('"sample":1', '"sample":64'),
      LINE.replace('"v":1', '"v":0'),
      LINE.replace('"v":1,', ''),
      LINE.replace('"ts":1796400000000', '"ts":-5'),
      LINE.replace('"origins":["a","b"]', '"origins":[]'),
      LINE.replace('"zone":"example.com"', '"zone":true,"__proto__":false'),
      LINE.replace('"qname":"www.example.com"', '"qname":""'),
    ]) {
      expect(scanned(variant), variant).toEqual(parsed(variant));
      expect(scanned(variant), variant).not.toBeNull();
    }
  });

  it('leaves every other shape to parseRecord, and never reads a line parseRecord refuses', () => {
    const others = [
      LINE.replace('"ts":1796400000000', '"ts":1.5e12'),
      LINE.replace('"ts":1796400000000', '"ts":01'),
      LINE.replace('"ts":1796400000000', '"ts":"1"'),
      LINE.replace('"ts":1796400000000,', ''),
      LINE.replace('"v":1', '"v":2'),
      LINE.replace('"qname":"www', '"qname":"w\\u0077w'),
      LINE.replace('"qname":"www', '"qname":"wéw'),
      LINE.replace('"qtype":"A"', '"qtype":""'),
      LINE.replace('"qtype":"A"', '"qtype":"A","qtype":"AAAA"'),
      LINE.replace('"81.2.69.0/24"', '"81.2.69.0"'),
      LINE.replace('"81.2.69.0/24"', '7'),
      LINE.replace('"resolver":"192.0.2.1"', '"resolver":null'),
      LINE.replace('"sample":1', '"sample":2.5'),
      LINE.replace('"sample":1', '"sample":5000000'),
      LINE.replace('"scope":24', '"scope":{"a":1}'),
      LINE.replace('"origins":["a","b"]', '"origins":["a",1]'),
      LINE.replace(':', ': '),
      `${LINE} `,
      LINE.slice(0, -1),
      '{}',
      '[1]',
      '{"a":1}x',
      '',
    ];
    for (const line of others) expect(scanned(line), line).toBeNull();
  });

  it('hashes the key fields, not the rest of the line', () => {
    const key = (line: string): number => {
      const s = new RecordScan();
      const buf = Buffer.from(line);
      expect(s.scan(buf, 0, buf.length)).toBe(true);
      return s.hash;
    };
    expect(key(LINE.replace('"ts":1796400000000', '"ts":5'))).toBe(key(LINE));
    expect(key(LINE.replace('"udp"', '"tcp"'))).not.toBe(key(LINE));
    expect(key(LINE.replace('"qtype":"A"', '"qtype":"AAAA"'))).not.toBe(key(LINE));
  });
});
