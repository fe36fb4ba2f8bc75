// Where a logged query came from, for the report's breakdowns: its network (the ECS subnet, else
// the resolver's /24 or /56), its resolver, and the continent and country the GeoIP database
// places it in. Lookups are cached per network (bounded), since a log repeats its clients.
import type { GeoDatabase } from '../geo/types.js';
import { truncateAddress, type QueryRecord } from './record.js';
import type { ClientView } from './whatif-report.js';

const NETWORK_PREFIXES = { v4: 24, v6: 56 } as const;
const CACHE_LIMIT = 100_000;

export class ClientViews {
  readonly #geo: GeoDatabase | null;
  /** By the address located (the ECS subnet, else the resolver): one entry per client network. */
  readonly #cache = new Map<string, Place>();
  /** Entries over all places' views (bounds the memory of the whole cache). */
  #size = 0;

  constructor(geo: GeoDatabase | null) {
    this.#geo = geo;
  }

  of(record: QueryRecord): ClientView {
    const key = record.ecs ?? record.resolver;
    let place = this.#cache.get(key);
    if (place === undefined) {
      const resolverIp = record.resolver.split('/')[0]!;
      const network = record.ecs ?? (record.resolver.includes('/') ? record.resolver : truncateAddress(resolverIp, NETWORK_PREFIXES));
      const locateIp = record.ecs !== null ? record.ecs.split('/')[0]! : resolverIp;
      let continent = '--';
      let country = '--';
      if (this.#geo !== null) {
        try {
          const loc = this.#geo.lookup(locateIp);
          continent = loc.continent ?? '--';
          country = loc.country ?? '--';
        } catch {
          // not an address the database takes: unknown location
        }
      }
      if (this.#size >= CACHE_LIMIT) {
        this.#cache.clear();
        this.#size = 0;
      }
      place = { network, continent, country, views: new Map() };
      this.#cache.set(key, place);
    }
    // One view per (place, resolver), reused: no object per line.
    let view = place.views.get(record.resolver);
    if (view === undefined) {
      view = Object.freeze({ network: place.network, resolver: record.resolver, continent: place.continent, country: place.country });
      place.views.set(record.resolver, view);
      this.#size++;
    }
    return view;
  }
}

interface Place {
  readonly network: string;
  readonly continent: string;
  readonly country: string;
  readonly views: Map<string, ClientView>;
}

/**
 * `geo` with a larger memo in front: a replay walks a log's clients over and over, often more of
 * them than the server's recent-address cache holds. Same answers (it only remembers them), so
 * both sides and the server agree.
 */
export function memoGeo(geo: GeoDatabase | null): GeoDatabase | null {
  if (geo === null) return null;
  const memo = new Map<string, ReturnType<GeoDatabase['lookup']>>();
  return {
    kind: geo.kind,
    databaseType: geo.databaseType,
    buildEpoch: geo.buildEpoch,
    file: geo.file,
    lookup(ip: string) {
      let loc = memo.get(ip);
      if (loc === undefined) {
        loc = geo.lookup(ip);
        if (memo.size >= CACHE_LIMIT) memo.clear();
        memo.set(ip, loc);
      }
      return loc;
    },
  };
}
