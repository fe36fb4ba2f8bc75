// Test doubles for the steering code: a table-driven GeoDatabase, hand-made health snapshots,
// a seeded PRNG and client addresses. Used by src/lb tests and usable by explain/server tests.
import type { ClientAddress, GeoDatabase, GeoLocation } from '../../src/geo/types.js';
import type { HealthSnapshot, TargetHealth } from '../../src/health/types.js';
import { parseIpWords } from '../../src/net/ip.js';
import { parseNetwork } from '../../src/net/parse.js';
import { commonPrefixLength } from '../../src/net/prefix.js';
import { loadLbText } from '../../src/lb/load.js';
import { describeRecord } from '../../src/lb/policies/origin.js';
import { RRType, type RRset } from '../../src/wire/types.js';
import type { LbZoneConfig } from '../../src/lb/types.js';

/** mulberry32: small, fast, seeded; good enough for statistical tests. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Health where exactly the listed keys are down. */
export function healthWithDown(down: Iterable<string> = [], generation = 1): HealthSnapshot {
  const set = new Set(down);
  return {
    generation,
    get(key: string): TargetHealth | undefined {
      if (!set.has(key)) return undefined;
      return { up: false, known: true, since: 0, reason: 'test', lastResult: null };
    },
    isUp: (key: string) => !set.has(key),
  };
}

export interface FakeGeoEntry {
  readonly cidr: string;
  readonly continent?: string;
  readonly country?: string;
  readonly subdivision?: string;
  readonly latitude?: number;
  readonly longitude?: number;
}

/**
 * A GeoDatabase over a list of networks (longest prefix wins). An address in none of them gets
 * null fields and `unknownPrefix` (16 for IPv4, 32 for IPv6 unless given). Counts lookups.
 */
export function fakeGeo(entries: readonly FakeGeoEntry[], unknownPrefix?: { v4: number; v6: number }): GeoDatabase & { lookups: number } {
  const nets = entries.map((e) => {
    const c = parseNetwork(e.cidr);
    if ('problem' in c) throw new Error(c.problem);
    const words = new Uint32Array(4);
    parseIpWords(c.text, words);
    return { ...c, words, entry: e };
  });
  const scratch = new Uint32Array(4);
  const db = {
    kind: 'city' as const,
    databaseType: 'Fake-City',
    buildEpoch: 0,
    file: '(fake)',
    lookups: 0,
    lookup(ip: string): GeoLocation {
      db.lookups++;
      const family = parseIpWords(ip, scratch, true);
      if (family === 0) throw new Error(`fakeGeo: not an IP: ${ip}`);
      let best: (typeof nets)[number] | null = null;
      for (const n of nets) {
        if (n.family !== family) continue;
        if (commonPrefixLength(scratch, n.words, family) >= n.prefix && (best === null || n.prefix > best.prefix)) best = n;
      }
      if (best === null) {
        return {
          continent: null,
          country: null,
          subdivision: null,
          latitude: null,
          longitude: null,
          networkPrefix: family === 4 ? (unknownPrefix?.v4 ?? 16) : (unknownPrefix?.v6 ?? 32),
        };
      }
      const e = best.entry;
      return {
        continent: e.continent ?? null,
        country: e.country ?? null,
        subdivision: e.subdivision ?? null,
        latitude: e.latitude ?? null,
        longitude: e.longitude ?? null,
        networkPrefix: best.prefix,
      };
    },
  };
  return db;
}

/** A client: "203.0.113.0/24" → ECS subnet; "192.0.2.53" → the resolver itself. */
export function client(text: string): ClientAddress {
  const slash = text.indexOf('/');
  const ip = slash < 0 ? text : text.slice(0, slash);
  const family = ip.includes(':') ? 6 : 4;
  if (slash < 0) return { ip, family, sourcePrefix: family === 4 ? 32 : 128, fromEcs: false };
  return { ip, family, sourcePrefix: Number(text.slice(slash + 1)), fromEcs: true };
}

/** Loads LB YAML for `origin` or throws with every error described. */
export function lbConfig(yaml: string, origin = 'example.com'): LbZoneConfig {
  const result = loadLbText(yaml, { file: 'test.lb.yaml', origin });
  if ('errors' in result) throw new Error(result.errors.map((e) => e.describe()).join('\n'));
  return result.config;
}

/** "A 192.0.2.1", "CNAME edge.example.net.", "MX 10 mx.example.net." for each record; [] for NODATA. */
export function answerText(rrset: RRset | null): string[] {
  if (rrset === null) return [];
  return rrset.map((rr) => `${TYPE_NAMES.get(rr.type) ?? rr.type} ${describeRecord(rr)}`);
}

const TYPE_NAMES = new Map<number, string>(Object.entries(RRType).map(([name, code]) => [code, name]));
