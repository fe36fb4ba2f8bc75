// Rule conditions compiled once at load into small closures over pre-parsed networks and sets,
// so evaluating one is a few comparisons and at most one GeoIP and one ASN lookup per query
// (shared with the steering policy through SteerCall).
//
// ECS scope: each test widens the call's scope to what its answer depended on, and evaluation
// short-circuits, so only the tests that were looked at count. For a CIDR list that is the
// prefix of the matching network, or, on a miss, one bit past the longest prefix the client
// shares with any listed network (the answer holds for that whole block); for country,
// continent, subdivision and asn it is the database network around the client. qtype, ecs and
// resolver_subnet do not depend on the client subnet and add nothing.
import { parseIpWords } from '../../net/ip.js';
import { parseNetwork } from '../../net/parse.js';
import { commonPrefixLength } from '../../net/prefix.js';
import { RRType } from '../../wire/types.js';
import type { SteerCall } from '../steer-context.js';
import type { ConditionInput } from './schema.js';
import type { ConditionTest } from './types.js';

interface Network {
  readonly family: 4 | 6;
  readonly prefix: number;
  readonly words: Uint32Array;
}

const ALWAYS: ConditionTest = () => true;

export function compileCondition(c: ConditionInput): ConditionTest {
  const tests: ConditionTest[] = [];
  if (c.qtype !== undefined) {
    const types = new Set<number>(c.qtype.map((t) => RRType[t as keyof typeof RRType]));
    tests.push((call) => types.has(call.qtype));
  }
  if (c.ecs !== undefined) {
    const want = c.ecs === 'present';
    tests.push((call) => call.ecsPresent() === want);
  }
  if (c.resolver_subnet !== undefined) tests.push(resolverTest(networksOf(c.resolver_subnet)));
  if (c.client_subnet !== undefined) tests.push(clientTest(networksOf(c.client_subnet)));
  if (c.asn !== undefined) {
    const set = new Set(c.asn);
    tests.push((call) => {
      const loc = call.locateAsn();
      if (loc === null) return false;
      call.widenScope(loc.networkPrefix);
      return loc.asn !== null && set.has(loc.asn);
    });
  }
  for (const key of ['subdivision', 'country', 'continent'] as const) {
    const codes = c[key];
    if (codes === undefined) continue;
    const set = new Set(codes);
    tests.push((call) => {
      const loc = call.locate();
      if (loc === null) return false;
      call.widenScope(loc.networkPrefix);
      const value = loc[key];
      return value !== null && set.has(value);
    });
  }
  if (c.any !== undefined) {
    const alternatives = c.any.map(compileCondition);
    tests.push((call) => {
      for (let i = 0; i < alternatives.length; i++) if (alternatives[i]!(call)) return true;
      return false;
    });
  }
  if (c.not !== undefined) {
    const inner = compileCondition(c.not);
    tests.push((call) => !inner(call));
  }
  // Cheap tests first (above): a qtype mismatch skips the GeoIP lookup entirely.
  if (tests.length === 0) return ALWAYS;
  if (tests.length === 1) return tests[0]!;
  return (call) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i]!(call)) return false;
    return true;
  };
}

/** One line of text for traces and the status API: `country [GB, IE] and not (asn [13335])`. */
export function describeCondition(c: ConditionInput): string {
  const parts: string[] = [];
  const list = (key: string, values: readonly (string | number)[] | undefined): void => {
    if (values !== undefined) parts.push(`${key} [${values.join(', ')}]`);
  };
  list('qtype', c.qtype);
  if (c.ecs !== undefined) parts.push(`ecs ${c.ecs}`);
  list('resolver_subnet', c.resolver_subnet);
  list('client_subnet', c.client_subnet);
  list('asn', c.asn);
  list('subdivision', c.subdivision);
  list('country', c.country);
  list('continent', c.continent);
  if (c.any !== undefined) parts.push(`any (${c.any.map(describeCondition).join(' | ')})`);
  if (c.not !== undefined) parts.push(`not (${describeCondition(c.not)})`);
  return parts.length === 0 ? 'always' : parts.join(' and ');
}

function networksOf(cidrs: readonly string[]): readonly Network[] {
  return cidrs.map((text) => {
    const n = parseNetwork(text);
    if ('problem' in n) throw new Error(`unchecked CIDR ${text}`); // the schema rejects these first
    const words = new Uint32Array(4);
    parseIpWords(n.text, words);
    return { family: n.family, prefix: n.prefix, words };
  });
}

function clientTest(networks: readonly Network[]): ConditionTest {
  return (call) => {
    const family = call.clientFamily();
    if (family === 0) return false;
    return matchNetworks(networks, call.words, family, call, true);
  };
}

function resolverTest(networks: readonly Network[]): ConditionTest {
  return (call) => {
    const family = call.resolverFamily();
    if (family === 0) return false;
    return matchNetworks(networks, call.resolverWords, family, call, false);
  };
}

/**
 * Whether `words` falls in one of `networks`. With `scoped`, widens the call's scope to the
 * shortest prefix that decides it: a matching network's prefix (the shortest such), or on a
 * miss one bit past the longest prefix shared with any listed network of the family.
 */
function matchNetworks(networks: readonly Network[], words: Uint32Array, family: 4 | 6, call: SteerCall, scoped: boolean): boolean {
  let matched = -1;
  let missNeeded = 0;
  for (let i = 0; i < networks.length; i++) {
    const n = networks[i]!;
    if (n.family !== family) continue;
    const common = commonPrefixLength(words, n.words, family);
    if (common >= n.prefix) {
      if (matched < 0 || n.prefix < matched) matched = n.prefix;
    } else if (common + 1 > missNeeded) {
      missNeeded = common + 1;
    }
  }
  if (scoped) call.widenScope(matched >= 0 ? matched : missNeeded);
  return matched >= 0;
}
