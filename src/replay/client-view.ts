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
  readonly #cache = new Map<string, ClientView>();

  constructor(geo: GeoDatabase | null) {
    this.#geo = geo;
  }

  of(record: QueryRecord): ClientView {
    const key = `${record.resolver} ${record.ecs ?? ''}`;
    let view = this.#cache.get(key);
    if (view === undefined) {
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
      view = { network, resolver: record.resolver, continent, country };
      if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
      this.#cache.set(key, view);
    }
    return view;
  }
}
