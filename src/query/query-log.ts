// Optional query log (--query-log): one pino JSON line per sampled query. When it is off it is
// not installed at all, so the query path pays nothing for it.
//
// Client-controlled text (the query name) reaches the log only as a JSON string, which pino
// escapes, and capped in length. The client address comes from begin(), which the answer tap
// (src/http/answer-tap.ts) calls just before the pipeline runs the same query.
import type { Logger } from 'pino';
import { rcodeToString, typeToString } from '../wire/format.js';
import { formatIp } from '../wire/rdata.js';
import type { ClientSubnet, Query, Reply } from '../wire/types.js';
import type { QueryObserver } from './observer.js';
import type { Transport } from './pipeline.js';

export interface QueryLogOptions {
  /** Log one query in this many (default 1: every query). */
  readonly sampleEvery?: number;
}

/** Longest query name written (presentation form, escapes included). */
export const MAX_LOGGED_NAME = 300;

export class QueryLog implements QueryObserver {
  readonly #logger: Logger;
  readonly #every: number;
  #countdown = 1;
  #client = '';

  constructor(logger: Logger, options: QueryLogOptions = {}) {
    this.#logger = logger;
    this.#every = Math.max(1, Math.floor(options.sampleEvery ?? 1));
  }

  /** Who is asking; called before the pipeline answers (see tapPipeline). */
  begin(clientIp: string): void {
    this.#client = clientIp;
  }

  dropped(reason: string, transport: Transport): void {
    if (!this.#sample()) return;
    this.#logger.info({ client: this.#client, transport, dropped: cap(reason) }, 'query dropped');
  }

  answered(zone: string | null, reply: Reply, transport: Transport, qtype: number, query?: Query): void {
    if (!this.#sample()) return;
    let answers = 0;
    for (const rrset of reply.answer) answers += rrset.length;
    const ecs = query?.edns?.ecs ?? null;
    this.#logger.info(
      {
        client: this.#client,
        transport,
        qname: reply.question ? cap(reply.question.qname) : null,
        qtype: typeToString(qtype),
        rcode: rcodeToString(reply.rcode),
        zone,
        answers,
        ecs: ecs === null ? null : formatSubnet(ecs),
        ecsScope: reply.edns?.ecs?.scopePrefix ?? null,
      },
      'query',
    );
  }

  #sample(): boolean {
    if (--this.#countdown > 0) return false;
    this.#countdown = this.#every;
    return true;
  }
}

function cap(text: string): string {
  return text.length > MAX_LOGGED_NAME ? `${text.slice(0, MAX_LOGGED_NAME)}…` : text;
}

/** "192.0.2.0/24", "2001:db8::/48" from an ECS option's truncated address. */
export function formatSubnet(ecs: ClientSubnet): string {
  const full = new Uint8Array(ecs.family === 1 ? 4 : 16);
  full.set(ecs.address.subarray(0, full.length));
  return `${formatIp(full)}/${ecs.sourcePrefix}`;
}

/** One observer calling each of `observers` in turn; null when there is none (nothing installed). */
export function combineObservers(...observers: readonly (QueryObserver | null | undefined)[]): QueryObserver | null {
  const list = observers.filter((o): o is QueryObserver => o != null);
  if (list.length === 0) return null;
  if (list.length === 1) return list[0]!;
  return {
    dropped(reason, transport) {
      for (const o of list) o.dropped(reason, transport);
    },
    answered(zone, reply, transport, qtype, query) {
      for (const o of list) o.answered(zone, reply, transport, qtype, query);
    },
  };
}
