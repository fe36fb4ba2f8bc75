// A QueryAnswer with the given fields, for observer tests that feed one in without a pipeline.
import { QueryAnswer } from '../../src/query/answer.js';
import type { Query, Reply } from '../../src/wire/types.js';

type Fields = Partial<Omit<QueryAnswer, 'pool' | 'origins' | 'reset'>>;

export function queryAnswer(fields: Fields): QueryAnswer {
  return Object.assign(new QueryAnswer(), fields);
}

/** What the pipeline reports for `reply` answered from `zone` (kind from the rcode). */
export function answered(
  zone: string | null,
  reply: Reply,
  transport: 'udp' | 'tcp',
  qtype: number,
  query: Query | null = null,
): QueryAnswer {
  const kind = reply.rcode === 0 ? (reply.answer.length > 0 ? 'answer' : 'nodata') : reply.rcode === 3 ? 'nxdomain' : 'refused';
  return queryAnswer({ zone, reply, transport, qtype, query, kind });
}

export function dropped(reason: string, transport: 'udp' | 'tcp'): QueryAnswer {
  return queryAnswer({ kind: 'dropped', dropReason: reason, transport });
}
