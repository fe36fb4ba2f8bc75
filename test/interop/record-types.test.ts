// Interop: one zone holding every record type steerdns reads in presentation form, loaded by Knot
// DNS and by steerdns. For each RRset, dig's view of both answers must agree (so the wire RDATA is
// the same), and steerdns's own presentation text (src/wire/format.ts, what `explain` prints)
// must match what dig prints for Knot's answer.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { rrToText } from '../../src/wire/format.js';
import type { RRset } from '../../src/wire/types.js';
import { loadZoneFile } from '../../src/zone/load.js';
import { PRESENTATION_TYPES, typeName } from '../../src/zone/rrtype-names.js';
import { comparable, commandLine, dig, parseRecord, rrsets } from './dig.js';
import { knotAndSteerdns } from './knot.js';
import { requireTools } from './tools.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const zonesDir = path.join(here, '../fixtures/record-types');
const ORIGIN = 'types.example';

const tools = requireTools(['dig', 'knotd'], 'record-types interop');

function zoneRRsets(): RRset[] {
  const loaded = loadZoneFile(path.join(zonesDir, `${ORIGIN}.zone`), zonesDir);
  if ('errors' in loaded) throw new Error(loaded.errors.map((e) => e.describe()).join('\n'));
  const out: RRset[] = [];
  for (const node of loaded.zone.nodes.values()) for (const set of node.rrsets.values()) out.push(set);
  return out;
}

const RRSETS = zoneRRsets();

/** dig 9.18 predates the "dohpath" name (RFC 9461) and prints the key by number. */
function asDig18(line: string): string {
  return line.replace(/ dohpath=/g, ' key7=');
}

describe.skipIf(!tools)('every record type: Knot DNS and steerdns serve the same RDATA', () => {
  const servers = knotAndSteerdns(() => tools!.knotd, zonesDir);

  it('the zone covers every type read in presentation form', () => {
    const present = new Set(RRSETS.map((s) => s[0]!.type));
    const missing = [...PRESENTATION_TYPES].filter((t) => !present.has(t)).map(typeName);
    expect(missing).toEqual([]);
  });

  it.each(RRSETS.map((set) => [`${set[0]!.name} ${typeName(set[0]!.type)}`, set] as const))('%s', async (_label, set) => {
    const first = set[0]!;
    // TCP: the DNSKEY and HTTPS RRsets are compared whole, never truncated.
    const args = ['+norecurse', '+nosplit', '+tcp', `${first.name}.`, typeName(first.type)];
    const [k, s] = await Promise.all([
      dig(tools!.dig, servers.knot!.host, servers.knot!.port, args),
      dig(tools!.dig, servers.steer!.host, servers.steer!.port, args),
    ]);
    const where = `\n  ${commandLine('dig', args)}\n--- knot:\n${k.text}\n--- steerdns:\n${s.text}`;
    // The additional section is left out: Knot adds the SVCB/HTTPS target's records there
    // (RFC 9460 §4.2, a SHOULD that steerdns does not implement); this suite is about RDATA.
    const { additional: _ka, ...knotSide } = comparable(k);
    const { additional: _sa, ...steerSide } = comparable(s);
    expect(steerSide, `steerdns differs from Knot${where}`).toEqual(knotSide);
    // A delegation's NS answers as a referral; every other RRset is in the answer section.
    if (k.answer.length === 0) {
      expect(first.type, where).toBe(2);
      return;
    }
    const ours = rrsets(set.map((rr) => parseRecord(asDig18(rrToText(rr)))));
    expect(ours, `steerdns's presentation text differs from dig's for Knot${where}`).toEqual(rrsets(k.answer));
  });
});
