// Rules the schema cannot see on its own: references between sections, and what a load
// balancer's record type and policy demand of the pools it uses. Each problem carries the key
// path of the node to blame, so load.ts can name its line.
import type { SteerErrorCode } from '../errors.js';
import { ipFamily, parseNetwork } from '../net/parse.js';
import { httpsTemplate } from './https-hints.js';
import { ownerName } from './names.js';
import { checkHealthSources } from './check-health.js';
import { checkRamps } from './check-ramps.js';
import type { LbFileInput, LoadBalancerInput, PoolInput } from './schema.js';
import { checkRules } from './rules/check.js';

export interface ConfigIssue {
  readonly code: SteerErrorCode;
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

export function checkLbFile(input: LbFileInput, origin: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  const report = (code: SteerErrorCode, path: readonly PropertyKey[], message: string): void => {
    const id = `${path.map(String).join('\u0000')}\u0001${message}`;
    if (seen.has(id)) return; // one pool shared by several load balancers reports once
    seen.add(id);
    issues.push({ code, path, message });
  };

  checkPools(input, report);
  checkHealthSources(input, report);
  checkRamps(input, report);
  checkLoadBalancers(input, origin, report);
  return issues;
}

export type Report = (code: SteerErrorCode, path: readonly PropertyKey[], message: string) => void;

function checkPools(input: LbFileInput, report: Report): void {
  for (const [poolName, pool] of Object.entries(input.pools)) {
    const base = ['pools', poolName];
    if (pool.monitor === undefined) continue;
    const monitor = input.monitors[pool.monitor];
    if (!monitor) {
      report('STEER_LB_REFERENCE', [...base, 'monitor'], `no monitor named "${pool.monitor}"${known(Object.keys(input.monitors))}`);
      continue;
    }
    if (monitor.type === 'tcp' && monitor.port === undefined) {
      pool.origins.forEach((o, i) => {
        if (o.port === undefined && o.probe?.port === undefined && pool.probe?.port === undefined) {
          report(
            'STEER_LB_SCHEMA',
            [...base, 'origins', i],
            `monitor "${pool.monitor}" is tcp without a port, so this origin needs port (or set port on the monitor)`,
          );
        }
      });
    }
  }
}

function checkLoadBalancers(input: LbFileInput, origin: string, report: Report): void {
  const owners = new Map<string, string>();
  for (const [lbName, lb] of Object.entries(input.load_balancers)) {
    const base = ['load_balancers', lbName];
    if (lb.https !== undefined) {
      if (lb.record_type !== 'address')
        report('STEER_LB_SCHEMA', [...base, 'https'], 'https needs record_type address: its hints are the A/AAAA answers');
      const template = httpsTemplate(lb.https, origin);
      if ('problem' in template) report('STEER_LB_SCHEMA', [...base, 'https'], `https: ${template.problem}`);
    }
    const owner = ownerName(lbName, origin);
    if ('problem' in owner) {
      report('STEER_LB_SCHEMA', base, owner.problem);
    } else {
      const other = owners.get(owner.name);
      if (other !== undefined) report('STEER_LB_CONFLICT', base, `same owner name ${owner.name} as load balancer "${other}"`);
      else owners.set(owner.name, lbName);
    }

    const isApex = !('problem' in owner) && owner.name === origin;
    checkOneLb(input, lbName, lb, isApex, report);
    checkRules(input, lbName, lb, report, (variant, variantReport) => checkOneLb(input, lbName, variant, isApex, variantReport));
  }
}

/** References and pool demands of one load balancer (or of one of its rule variants). */
function checkOneLb(input: LbFileInput, lbName: string, lb: LoadBalancerInput, isApex: boolean, report: Report): void {
  const base = ['load_balancers', lbName];
  const poolNames = Object.keys(input.pools);
  // Every pool reference resolves; collect the pools this load balancer can answer from.
  const used = new Map<string, readonly PropertyKey[]>();
  const ref = (name: string, path: readonly PropertyKey[]): void => {
    if (!input.pools[name]) {
      report('STEER_LB_REFERENCE', path, `no pool named "${name}"${known(poolNames)}`);
    } else if (!used.has(name)) {
      used.set(name, path);
    }
  };
  const refList = (list: readonly string[], path: readonly PropertyKey[]): void => {
    const inList = new Set<string>();
    list.forEach((name, i) => {
      if (inList.has(name)) report('STEER_LB_SCHEMA', [...path, i], `pool "${name}" is listed twice`);
      inList.add(name);
      ref(name, [...path, i]);
    });
  };
  refList(lb.default_pools, [...base, 'default_pools']);
  if (lb.fallback_pool !== undefined) ref(lb.fallback_pool, [...base, 'fallback_pool']);
  if (lb.fallback !== undefined && lb.fallback_pool !== undefined) {
    report('STEER_LB_CONFLICT', [...base, 'fallback'], '`fallback: none` (fail closed) and fallback_pool exclude each other; keep one');
  }
  const cidrs = new Map<string, string>();
  for (const [cidr, list] of Object.entries(lb.subnet_pools)) {
    const parsed = parseNetwork(cidr);
    if (!('problem' in parsed)) {
      const canonical = parsed.cidr;
      const twin = cidrs.get(canonical);
      if (twin !== undefined) report('STEER_LB_CONFLICT', [...base, 'subnet_pools', cidr], `same network as "${twin}"`);
      cidrs.set(canonical, cidr);
    }
    refList(list, [...base, 'subnet_pools', cidr]);
  }
  for (const key of ['subdivision_pools', 'country_pools', 'continent_pools', 'asn_pools'] as const) {
    for (const [code, list] of Object.entries(lb[key])) refList(list, [...base, key, code]);
  }
  for (const name of Object.keys(lb.random_steering.pool_weights)) {
    const path = [...base, 'random_steering', 'pool_weights', name];
    if (!input.pools[name]) report('STEER_LB_REFERENCE', path, `no pool named "${name}"${known(poolNames)}`);
    else if (!lb.default_pools.includes(name)) {
      report('STEER_LB_REFERENCE', path, `pool "${name}" is not in default_pools (random and hash steering choose among default_pools)`);
    }
  }

  if (lb.steering_policy === 'dynamic') {
    lb.default_pools.forEach((name, i) => {
      const pool = input.pools[name];
      if (pool && pool.monitor === undefined) {
        report(
          'STEER_LB_SCHEMA',
          [...base, 'default_pools', i],
          `dynamic steering needs a monitor on pool "${name}": the RTT it compares comes from that pool's probes`,
        );
      }
    });
  }

  if (lb.steering_policy === 'proximity') {
    lb.default_pools.forEach((name, i) => {
      const pool = input.pools[name];
      if (pool && pool.latitude === undefined) {
        report('STEER_LB_SCHEMA', [...base, 'default_pools', i], `proximity steering needs latitude and longitude on pool "${name}"`);
      }
    });
  }

  for (const name of used.keys()) {
    const pool = input.pools[name];
    if (pool) checkPoolForLb(name, pool, lbName, lb, isApex, report);
  }
}

/** What the load balancer's record type demands of each origin of a pool it uses. */
function checkPoolForLb(poolName: string, pool: PoolInput, lbName: string, lb: LoadBalancerInput, isApex: boolean, report: Report): void {
  const who = `load balancer "${lbName}"`;
  pool.origins.forEach((o, i) => {
    const path = ['pools', poolName, 'origins', i];
    const isHost = ipFamily(o.address) === 0;
    if (lb.record_type === 'address') {
      if (o.weight === 0) {
        report('STEER_LB_SCHEMA', [...path, 'weight'], 'weight 0 would never be answered; drain an origin with enabled: false');
      }
      if (o.priority !== undefined) {
        report('STEER_LB_SCHEMA', [...path, 'priority'], `priority applies to MX and SRV load balancers, but ${who} answers addresses`);
      }
      if (isHost && isApex) {
        report('STEER_LB_SCHEMA', [...path, 'address'], `${who} is at the zone apex, where a hostname origin (a CNAME) is not allowed`);
      }
      return;
    }
    const rtype = lb.record_type;
    if (!isHost) {
      report('STEER_LB_SCHEMA', [...path, 'address'], `${who} answers ${rtype}, whose targets must be hostnames, not IP addresses`);
    }
    if (o.priority === undefined) {
      report('STEER_LB_SCHEMA', path, `${who} answers ${rtype}, so every origin needs priority`);
    }
    if (rtype === 'SRV') {
      if (o.port === undefined) report('STEER_LB_SCHEMA', path, `${who} answers SRV, so every origin needs port`);
      if (!Number.isInteger(o.weight) || o.weight > 65535) {
        report('STEER_LB_SCHEMA', [...path, 'weight'], `SRV weight must be an integer 0-65535 (${who})`);
      }
    }
  });
}

function known(names: readonly string[]): string {
  return names.length === 0 ? ' (none defined)' : ` (defined: ${names.join(', ')})`;
}
