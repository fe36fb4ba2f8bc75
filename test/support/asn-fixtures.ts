// A table-driven AsnDatabase for steering tests: longest prefix wins; an address in none of the
// networks gets asn null and `unknownPrefix`.
import type { AsnDatabase, AsnLocation } from '../../src/geo/types.js';
import { parseIpWords } from '../../src/net/ip.js';
import { parseNetwork } from '../../src/net/parse.js';
import { commonPrefixLength } from '../../src/net/prefix.js';

export interface FakeAsnEntry {
  readonly cidr: string;
  readonly asn: number;
  readonly organization?: string;
}

export function fakeAsn(entries: readonly FakeAsnEntry[], unknownPrefix = { v4: 12, v6: 24 }): AsnDatabase & { lookups: number } {
  const nets = entries.map((e) => {
    const c = parseNetwork(e.cidr);
    if ('problem' in c) throw new Error(c.problem);
    const words = new Uint32Array(4);
    parseIpWords(c.text, words);
    return { ...c, words, entry: e };
  });
  const scratch = new Uint32Array(4);
  const db = {
    databaseType: 'Fake-ASN',
    buildEpoch: 0,
    file: '(fake)',
    lookups: 0,
    lookup(ip: string): AsnLocation {
      db.lookups++;
      const family = parseIpWords(ip, scratch, true);
      if (family === 0) throw new Error(`fakeAsn: not an IP: ${ip}`);
      let best: (typeof nets)[number] | null = null;
      for (const n of nets) {
        if (n.family !== family) continue;
        if (commonPrefixLength(scratch, n.words, family) >= n.prefix && (best === null || n.prefix > best.prefix)) best = n;
      }
      if (best === null) return { asn: null, organization: null, networkPrefix: family === 4 ? unknownPrefix.v4 : unknownPrefix.v6 };
      return { asn: best.entry.asn, organization: best.entry.organization ?? null, networkPrefix: best.prefix };
    },
  };
  return db;
}
