import { describe, expect, it } from 'vitest';
import { buildQuery, decode } from '../../test/support/dns-client.js';
import { RRType, type RR } from '../wire/types.js';
import { replyMessage } from './messages.js';
import { readSignedRequest } from './request.js';
import { patchSoaSerials } from './soa-serial-patch.js';

const soa = (zone: string, serial: number): RR => ({
  name: zone,
  type: RRType.SOA,
  ttl: 300,
  data: { kind: 'soa', mname: `ns.${zone}`, rname: `hostmaster.${zone}`, serial, refresh: 3600, retry: 600, expire: 86400, minimum: 60 },
});
const a: RR = { name: 'www.a.test', type: RRType.A, ttl: 30, data: { kind: 'raw', bytes: new Uint8Array([192, 0, 2, 1]) } };

function reply(records: RR[]): Buffer {
  const request = readSignedRequest(buildQuery({ name: 'a.test', type: 'SOA' }));
  if (request === null) throw new Error('unreadable query');
  return replyMessage(request, 0, records, true);
}
const serials = (bytes: Uint8Array): unknown[] =>
  decode(bytes)
    .answers.filter((r) => r.type === 'SOA')
    .map((r) => (r.data as { serial: number }).serial);

describe('patchSoaSerials', () => {
  it('rewrites the serial of the SOAs of the given zones only, in a copy', () => {
    const original = reply([soa('a.test', 5), a, soa('b.test', 9)]);
    const before = Buffer.from(original);
    const patched = patchSoaSerials(original, (owner) => (owner === 'a.test' ? 4_000_000_000 : null));
    expect(patched).not.toBeNull();
    expect(serials(patched!)).toEqual([4_000_000_000, 9]);
    expect(original).toEqual(before);
    expect(decode(patched!).answers.map((r) => r.type)).toEqual(['SOA', 'A', 'SOA']);
  });

  it('returns null when nothing needs a change, or the reply cannot be walked', () => {
    expect(patchSoaSerials(reply([a]), () => 7)).toBeNull();
    expect(patchSoaSerials(reply([soa('b.test', 1)]), (o) => (o === 'a.test' ? 2 : null))).toBeNull();
    const cut = reply([soa('a.test', 5)]).subarray(0, 40);
    expect(patchSoaSerials(cut, () => 6)).toBeNull();
  });
});
