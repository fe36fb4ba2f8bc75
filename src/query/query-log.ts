// Optional query log (--query-log): one pino JSON line per sampled query. When it is off it is
// not installed at all, so the query path pays nothing for it.
//
// Client-controlled text (the query name) reaches the log only as a JSON string, which pino
// escapes, and capped in length. The client address is handed over by the transport with the
// answer (see answerer.ts).
import type { ClientIp } from '../net/client-ip.js';
import type { Logger } from 'pino';
import { rcodeToString, typeToString } from '../wire/format.js';
import { formatIp } from '../wire/rdata.js';
import type { ClientSubnet } from '../wire/types.js';
import type { QueryAnswer } from './answer.js';
import type { QueryObserver } from './observer.js';

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

  constructor(logger: Logger, options: QueryLogOptions = {}) {
    this.#logger = logger;
    this.#every = Math.max(1, Math.floor(options.sampleEvery ?? 1));
  }

  observe(answer: QueryAnswer, clientIp: ClientIp): void {
    if (!this.#sample()) return;
    const client = clientIp.text();
    const transport = answer.transport;
    const reply = answer.reply;
    if (reply === null) {
      this.#logger.info({ client, transport, dropped: cap(answer.dropReason ?? '') }, 'query dropped');
      return;
    }
    let answers = 0;
    for (const rrset of reply.answer) answers += rrset.length;
    const ecs = answer.query?.edns?.ecs ?? null;
    this.#logger.info(
      {
        client,
        transport,
        qname: reply.question ? cap(reply.question.qname) : null,
        qtype: typeToString(answer.qtype),
        rcode: rcodeToString(reply.rcode),
        kind: answer.kind,
        zone: answer.zone,
        answers,
        ecs: ecs === null ? null : formatSubnet(ecs),
        ecsScope: reply.edns?.ecs?.scopePrefix ?? null,
        ...(answer.wildcard !== null ? { wildcard: cap(answer.wildcard) } : {}),
        ...(answer.lb !== null ? { lb: answer.lb, pool: answer.pool, origins: answer.origins } : {}),
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
    observe(answer, client, seconds) {
      for (const o of list) o.observe(answer, client, seconds);
    },
  };
}
