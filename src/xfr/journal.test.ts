import { describe, expect, it } from 'vitest';
import { buildZoneFromList } from '../zone/build.js';
import { parseZone } from '../zone/parser.js';
import type { Zone } from '../zone/types.js';
import { diffZones, ixfrRecords, Journal, soaSerial } from './journal.js';
import { chunks } from './messages.js';
import { recordSize, serialNewer, transferRecords } from './zone-records.js';

function zone(serial: number, body: string): Zone {
  const text = `$TTL 300\n@ IN SOA ns1 hostmaster ${serial} 3600 600 86400 300\n@ IN NS ns1\nns1 IN A 192.0.2.53\n${body}\n`;
  const parsed = parseZone(text, { file: 't.zone', origin: 'example.com', zonesDir: '/nonexistent', readFile: () => '' });
  const built = buildZoneFromList(parsed.origin, parsed.list, { file: 't.zone' });
  if (!('zone' in built)) throw new Error('zone did not build');
  return built.zone;
}

describe('the IXFR journal', () => {
  it('a difference holds exactly the records removed and added; a TTL change is both', () => {
    const step = diffZones(zone(1, 'a IN A 192.0.2.1\nb IN A 192.0.2.2'), zone(2, 'a IN A 192.0.2.1\nb 60 IN A 192.0.2.2\nc IN TXT "new"'));
    expect(step.deleted.map((r) => `${r.name} ${r.ttl}`)).toEqual(['b.example.com 300']);
    expect(step.added.map((r) => `${r.name} ${r.ttl}`).sort()).toEqual(['b.example.com 60', 'c.example.com 300']);
    expect([soaSerial(step.fromSoa), soaSerial(step.toSoa)]).toEqual([1, 2]);
  });

  it('answers from any serial it still holds, in RFC 1995 order, and forgets the oldest past its bounds', () => {
    const v = [1, 2, 3, 4].map((s) => zone(s, `v IN TXT "version ${s}"`));
    const journal = new Journal({ maxVersions: 2, maxBytes: 1 << 20 });
    for (let i = 1; i < v.length; i++) journal.add(diffZones(v[i - 1]!, v[i]!));
    expect(journal.versions()).toBe(2);
    expect(journal.from(1)).toBeNull();
    const steps = journal.from(2)!;
    const types = ixfrRecords(v[3]!.soa, steps).map((r) => (r.type === 6 ? `SOA${soaSerial(r)}` : 'TXT'));
    expect(types).toEqual(['SOA4', 'SOA2', 'TXT', 'SOA3', 'TXT', 'SOA3', 'TXT', 'SOA4', 'TXT', 'SOA4']);
    const small = new Journal({ maxVersions: 10, maxBytes: steps[0]!.bytes });
    small.add(steps[0]!);
    small.add(steps[1]!);
    expect(small.versions()).toBe(1);
    expect(small.size()).toBeLessThanOrEqual(steps[0]!.bytes);
  });

  it('serials compare in RFC 1982 arithmetic', () => {
    expect(serialNewer(2, 1)).toBe(true);
    expect(serialNewer(1, 1)).toBe(false);
    expect(serialNewer(0, 0xffffffff)).toBe(true);
    expect(serialNewer(0xffffffff, 0)).toBe(false);
  });
});

describe('transfer messages', () => {
  it('the zone goes SOA first, every record once, cut into chunks under the size bound', () => {
    const z = zone(1, Array.from({ length: 2000 }, (_, i) => `h${i} IN A 10.0.${i >> 8}.${i & 255}`).join('\n'));
    const records = transferRecords(z);
    expect(records[0]).toBe(z.soa);
    expect(records.filter((r) => r.type === 6)).toHaveLength(1);
    expect(records).toHaveLength(2003);
    const parts = [...chunks(records, 4096)];
    expect(parts.length).toBeGreaterThan(5);
    expect(parts.flat()).toEqual(records);
    for (const p of parts) expect(p.reduce((n, r) => n + recordSize(r), 0)).toBeLessThanOrEqual(4096);
  });
});
