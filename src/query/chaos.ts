// The CHAOS class questions operators ask a server about itself: id.server. and hostname.bind.
// (its identity, the same string NSID sends), version.server. and version.bind. (only when a
// version string is configured). Any other CHAOS question is REFUSED by the pipeline.
import { RRType, type RRset } from '../wire/types.js';

export interface ServerIdentity {
  /** Who answered: the host name by default, a fleet node's name, or --identity. */
  readonly identity: string;
  /** The answer to version.server./version.bind.; null: those are refused. */
  readonly version: string | null;
}

/** A CHAOS answer: the TXT RRset (an empty list for another type at a known name), or null to refuse. */
export type ChaosAnswer = readonly RRset[] | null;

const NOTHING: readonly RRset[] = Object.freeze([]);

/** Built once per identity: the answers are the same for every query. */
export class ChaosResponder {
  private readonly answers = new Map<string, readonly RRset[]>();

  constructor(identity: ServerIdentity) {
    const id = txt(identity.identity);
    this.answers.set('id.server', [[{ name: 'id.server', type: RRType.TXT, ttl: 0, data: id }]]);
    this.answers.set('hostname.bind', [[{ name: 'hostname.bind', type: RRType.TXT, ttl: 0, data: id }]]);
    if (identity.version !== null) {
      const version = txt(identity.version);
      this.answers.set('version.server', [[{ name: 'version.server', type: RRType.TXT, ttl: 0, data: version }]]);
      this.answers.set('version.bind', [[{ name: 'version.bind', type: RRType.TXT, ttl: 0, data: version }]]);
    }
  }

  answer(qname: string, qtype: number): ChaosAnswer {
    const sets = this.answers.get(qname);
    if (sets === undefined) return null;
    return qtype === RRType.TXT || qtype === RRType.ANY ? sets : NOTHING;
  }
}

/** TXT RDATA of one string (split into 255-byte character-strings if longer). */
function txt(text: string): { readonly kind: 'raw'; readonly bytes: Uint8Array } {
  const bytes = Buffer.from(text, 'utf8');
  const parts: number[] = [];
  for (let at = 0; at < bytes.length || at === 0; at += 255) {
    const chunk = bytes.subarray(at, at + 255);
    parts.push(chunk.length, ...chunk);
    if (bytes.length === 0) break;
  }
  return { kind: 'raw', bytes: Uint8Array.from(parts) };
}
