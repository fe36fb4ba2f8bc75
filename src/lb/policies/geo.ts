// steering_policy geo: the most specific rule that matches the client gives a pool list, and
// the first healthy pool of that list wins. Order: subnet_pools (longest prefix) > asn_pools >
// subdivision_pools > country_pools > continent_pools > default_pools. (The AS sits between the
// operator's own subnets, which are the most deliberate choice, and the GeoIP guesses: a
// network's AS is known exactly, its location only approximately.) When every pool of the
// matched list is down, the next less specific rule is tried, then default_pools.
//
// ECS scope: the prefix the decision really depended on. The GeoIP network prefix once the
// database was consulted, and for subnet rules the shortest prefix around the client inside
// which every subnet rule matches or misses alike (so a resolver never caches a "no subnet
// matched" answer for a range that holds a configured subnet).
import type { SteerCall } from '../steer-context.js';
import { commonPrefixLength } from '../../net/prefix.js';
import type { PreparedLb, PreparedRule, PreparedSubnetRule } from '../prepare.js';
import { listState, namesState } from './describe.js';

export function chooseGeo(p: PreparedLb, call: SteerCall): number {
  if (!p.locationMatters) {
    if (call.trace !== null) {
      call.note('rule', 'every rule leads to the same pool right now; location not needed');
      call.note('pools', `default_pools in order: ${listState(p, p.defaultOrder)}`);
    }
    return p.firstHealthyDefault;
  }

  if (p.subnets4.length + p.subnets6.length > 0) {
    const family = call.clientFamily();
    const rules = family === 4 ? p.subnets4 : family === 6 ? p.subnets6 : null;
    if (rules !== null && rules.length > 0) {
      const chosen = matchSubnet(p, rules, family as 4 | 6, call);
      if (chosen >= 0) return chosen;
    }
  }

  if (p.asns.size > 0) {
    const as = call.locateAsn();
    if (as !== null) {
      call.widenScope(as.networkPrefix);
      if (as.asn !== null) {
        const chosen = tryRule('asn_pools', `AS${as.asn}`, p.asns.get(as.asn), p, call);
        if (chosen >= 0) return chosen;
      }
    }
  }

  if (p.hasGeoRules) {
    const loc = call.locate();
    if (loc !== null) {
      call.widenScope(loc.networkPrefix);
      let chosen = -1;
      if (loc.subdivision !== null) chosen = tryRule('subdivision_pools', loc.subdivision, p.subdivisions.get(loc.subdivision), p, call);
      if (chosen < 0 && loc.country !== null) chosen = tryRule('country_pools', loc.country, p.countries.get(loc.country), p, call);
      if (chosen < 0 && loc.continent !== null)
        chosen = tryRule('continent_pools', loc.continent, p.continents.get(loc.continent), p, call);
      if (chosen >= 0) return chosen;
    }
  }

  if (call.trace !== null) call.note('pools', `default_pools in order: ${listState(p, p.defaultOrder)}`);
  return p.firstHealthyDefault;
}

/** Longest-prefix match; widens the scope to where the set of matching rules could change. */
function matchSubnet(p: PreparedLb, rules: readonly PreparedSubnetRule[], family: 4 | 6, call: SteerCall): number {
  let match: PreparedSubnetRule | null = null;
  let needed = 0;
  for (let k = 0; k < rules.length; k++) {
    const rule = rules[k]!;
    const common = commonPrefixLength(call.words, rule.network, family);
    if (common >= rule.prefix) {
      if (match === null) match = rule; // rules are sorted longest prefix first
      if (rule.prefix > needed) needed = rule.prefix;
    } else if (common + 1 > needed) {
      needed = common + 1;
    }
  }
  call.widenScope(needed);
  if (match === null) {
    if (call.trace !== null) call.note('rule', `no subnet_pools entry contains ${call.ctx.client.ip}`);
    return -1;
  }
  if (call.trace !== null) {
    call.note('rule', `subnet_pools ${match.cidr} → [${match.poolNames.join(', ')}]`);
    call.note(
      'pools',
      match.resolved >= 0 ? namesState(p, match.poolNames) : `${namesState(p, match.poolNames)}: none healthy, trying less specific rules`,
    );
  }
  return match.resolved;
}

function tryRule(kind: string, code: string, rule: PreparedRule | undefined, p: PreparedLb, call: SteerCall): number {
  if (rule === undefined) return -1;
  if (call.trace !== null) {
    call.note('rule', `${kind} ${code} → [${rule.poolNames.join(', ')}]`);
    call.note(
      'pools',
      rule.resolved >= 0 ? namesState(p, rule.poolNames) : `${namesState(p, rule.poolNames)}: none healthy, trying less specific rules`,
    );
  }
  return rule.resolved;
}
