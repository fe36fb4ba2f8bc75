// Origin choice inside the chosen pool (origin_steering.policy), over the prebuilt records of
// the requested kind:
//   random  one record, drawn by origin weight;
//   hash    one record, weighted rendezvous hash of the client subnet (stable per subnet);
//   all     every IPv4 / IPv6 origin of the requested family, at most max_records (a random
//           window of them when there are more). A hostname origin answers as a CNAME, which
//           must stand alone, so when the family has no IP origin, one hostname is drawn.
// MX and SRV load balancers answer every target of the pool, whatever the policy.
import { formatIp } from '../../wire/rdata.js';
import { RRType, type RR, type RRset } from '../../wire/types.js';
import type { AnswerSet, CandidateSet } from '../answer-sets.js';
import type { SteerCall } from '../steer-context.js';
import type { PreparedPool } from '../prepare.js';
import { fmix32, rendezvousPick } from '../weighted.js';

/** Keeps origin hashing independent of pool hashing for the same client. */
const ORIGIN_SALT = 0x2545f491;

export function chooseRecords(pool: PreparedPool, set: AnswerSet, qtype: number, maxRecords: number, call: SteerCall): RRset | null {
  if (qtype === RRType.MX || qtype === RRType.SRV) {
    if (call.trace !== null)
      call.note('origin', set.records === null ? `${pool.name}: no target` : `${pool.name}: every target (${set.originNames.join(', ')})`);
    return set.records;
  }
  const candidates = qtype === RRType.A ? set.a : qtype === RRType.AAAA ? set.aaaa : set.cname;
  if (pool.originSteering === 'all' && qtype !== RRType.CNAME) {
    const all = qtype === RRType.A ? set.allA : set.allAAAA;
    if (all !== null) return allRecords(pool, all, maxRecords, call);
    return drawOne(pool, set.cname, call);
  }
  if (pool.originSteering === 'hash') return hashOne(pool, candidates, call);
  return drawOne(pool, candidates, call);
}

function drawOne(pool: PreparedPool, c: CandidateSet, call: SteerCall): RRset | null {
  const i = call.pick(c.cumulative, c.count);
  if (call.trace !== null) {
    if (i < 0) call.note('origin', `${pool.name}: no origin for this type`);
    else
      call.note(
        'origin',
        `${pool.name}: ${c.names[i]} drawn at random by weight (${c.weights[i]} of ${c.cumulative[c.count - 1]}, among ${c.names.join(', ')})`,
      );
  }
  return i < 0 ? null : c.rrsets[i]!;
}

function hashOne(pool: PreparedPool, c: CandidateSet, call: SteerCall): RRset | null {
  if (c.count <= 1) {
    if (call.trace !== null)
      call.note(
        'origin',
        c.count === 0 ? `${pool.name}: no origin for this type` : `${pool.name}: ${c.names[0]}, the only origin for this type`,
      );
    return c.count === 0 ? null : c.rrsets[0]!;
  }
  const i = rendezvousPick(fmix32(call.clientHash() ^ ORIGIN_SALT), c.seeds, c.weights, c.count);
  call.widenScope(call.ctx.client.sourcePrefix);
  if (call.trace !== null) {
    call.note(
      'origin',
      `${pool.name}: ${c.names[i]} by hash of ${call.ctx.client.ip}/${call.ctx.client.sourcePrefix} (among ${c.names.join(', ')})`,
    );
  }
  return c.rrsets[i]!;
}

function allRecords(pool: PreparedPool, all: RRset, maxRecords: number, call: SteerCall): RRset {
  if (all.length <= maxRecords) {
    if (call.trace !== null) call.note('origin', `${pool.name}: all ${all.length} healthy origin(s) of this family`);
    return all;
  }
  const start = Math.floor(call.ctx.random() * all.length);
  const out = new Array<RR>(maxRecords);
  for (let k = 0; k < maxRecords; k++) out[k] = all[(start + k) % all.length]!;
  if (call.trace !== null)
    call.note('origin', `${pool.name}: ${maxRecords} of ${all.length} healthy origins (max_records), starting at a random one`);
  return out;
}

/** Presentation text of a steered record's data, for traces. */
export function describeRecord(rr: RR): string {
  const d = rr.data;
  switch (d.kind) {
    case 'raw':
      return rr.type === RRType.A || rr.type === RRType.AAAA ? formatIp(d.bytes) : `${d.bytes.length} bytes`;
    case 'name':
      return `${d.name}.`;
    case 'mx':
      return `${d.preference} ${d.exchange}.`;
    case 'srv':
      return `${d.priority} ${d.weight} ${d.port} ${d.target}.`;
    default:
      return d.kind;
  }
}
