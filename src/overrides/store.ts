// The overrides of one server (not in a fleet): kept in memory, and in `overrides.json` under
// --state-dir when one is given (rewritten whole, atomically: temp file, then rename), so they
// survive a restart. Each one disappears on its own at its expiry. Every change is appended to
// the audit log and handed to `onChange` (the serving state, the notifier).
//
// In a fleet (`shared`) the set lives in etcd instead: creates and deletes are written there
// first (a failed write changes nothing and is an error, never a local-only override), the
// fleet hands every new version of the whole set to `replace`, and nothing is read from or
// written to overrides.json. Every node ends an override at its `expiresAt` on its own clock,
// then tries to delete it; only the node whose delete removed it audits the expiry.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { steerError } from '../errors.js';
import { AuditLog } from './audit.js';
import { OVERRIDE_ACTIONS, type Override, type OverrideAction } from './types.js';

export type OverrideChange = 'created' | 'removed' | 'expired';

/** Where a fleet keeps its overrides (src/fleet). */
export interface SharedOverrides {
  /** Resolves once this node's copy of the set holds it; rejects when it cannot be written. */
  put(o: Override): Promise<void>;
  /** What this call deleted (null: not there, or deleted by someone else first); rejects when it cannot be written. */
  delete(id: string): Promise<Override | null>;
}

export interface OverrideStoreOptions {
  /** Directory of overrides.json; null: memory only, gone on restart. */
  readonly stateDir: string | null;
  /** Audit log file; null: `audit.log` under stateDir, else none. */
  readonly auditLog: string | null;
  /** Written into audit lines. */
  readonly node: string;
  readonly onChange: (overrides: readonly Override[], change: OverrideChange, override: Override, by: string) => void;
  /** In a fleet: the shared store; null/absent: this server's own overrides. */
  readonly shared?: SharedOverrides | null;
  /** In a fleet: the applied set changed by someone else's write, or by an expiry here. */
  readonly onApplied?: (overrides: readonly Override[]) => void;
  readonly now?: () => number;
}

const fileSchema = z.strictObject({
  version: z.literal(1),
  overrides: z.array(
    z.strictObject({
      id: z.string(),
      zone: z.string(),
      target: z.string(),
      action: z.enum(OVERRIDE_ACTIONS),
      reason: z.string(),
      author: z.string(),
      createdAt: z.number(),
      expiresAt: z.number().nullable(),
    }),
  ),
});

/** setTimeout's longest delay; a later expiry is re-armed when it fires. */
const MAX_TIMER_MS = 2_147_483_647;

export class OverrideStore {
  readonly #file: string | null;
  readonly #audit: AuditLog | null;
  readonly #options: OverrideStoreOptions;
  readonly #now: () => number;
  #overrides = new Map<string, Override>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #shared: SharedOverrides | null;
  /** Expired shared overrides this node is deleting now. */
  readonly #expiring = new Set<string>();

  /** Reads the state file (a broken one is an error: starting without the overrides would undo them). */
  constructor(options: OverrideStoreOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#shared = options.shared ?? null;
    this.#file = options.stateDir === null || this.#shared !== null ? null : path.join(options.stateDir, 'overrides.json');
    const auditFile = options.auditLog ?? (options.stateDir === null ? null : path.join(options.stateDir, 'audit.log'));
    this.#audit = auditFile === null ? null : new AuditLog(auditFile, options.node);
    if (options.stateDir !== null) fs.mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
    for (const o of this.#read()) this.#overrides.set(o.id, o);
  }

  /** Arms the expiry timers and hands the loaded set to onChange's receiver (call once wired). */
  start(): readonly Override[] {
    for (const o of [...this.#overrides.values()]) this.#arm(o);
    return this.list();
  }

  list(): readonly Override[] {
    return [...this.#overrides.values()].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  get(id: string): Override | undefined {
    return this.#overrides.get(id);
  }

  /** Rejects (nothing changed) when the shared store cannot be written. */
  async create(
    input: { zone: string; target: string; action: OverrideAction; reason: string; forSeconds: number | null },
    author: string,
  ): Promise<Override> {
    const createdAt = this.#now();
    const o: Override = Object.freeze({
      id: randomBytes(6).toString('hex'),
      zone: input.zone,
      target: input.target,
      action: input.action,
      reason: input.reason,
      author,
      createdAt,
      expiresAt: input.forSeconds === null ? null : createdAt + input.forSeconds * 1000,
    });
    if (this.#shared !== null) {
      await this.#shared.put(o);
      // Applied by `replace` when the write came back; not applied yet only if the watch lags.
      if (!this.#overrides.has(o.id)) this.replace([...this.#overrides.values(), o]);
      this.#changed('created', o, author);
      return o;
    }
    this.#overrides.set(o.id, o);
    this.#save();
    this.#arm(o);
    this.#changed('created', o, author);
    return o;
  }

  /** Rejects (nothing changed) when the shared store cannot be written. */
  async remove(id: string, by: string): Promise<Override | null> {
    if (this.#shared !== null) {
      const gone = await this.#shared.delete(id);
      if (gone === null) return null;
      if (this.#overrides.has(id)) this.replace([...this.#overrides.values()].filter((o) => o.id !== id));
      this.#changed('removed', gone, by);
      return gone;
    }
    const o = this.#overrides.get(id);
    if (o === undefined) return null;
    this.#drop(o);
    this.#changed('removed', o, by);
    return o;
  }

  /** In a fleet: the whole shared set, as the store holds it now. */
  replace(shared: readonly Override[]): void {
    const now = this.#now();
    const next = new Map<string, Override>();
    for (const o of shared) {
      // Ended on this node's clock even if no node could delete it yet.
      if (o.expiresAt !== null && o.expiresAt <= now) this.#deleteExpired(o);
      else next.set(o.id, this.#overrides.get(o.id) ?? o);
    }
    const gone = [...this.#overrides.keys()].filter((id) => !next.has(id));
    const added = [...next.values()].filter((o) => !this.#overrides.has(o.id));
    if (gone.length === 0 && added.length === 0) return;
    for (const id of gone) {
      clearTimeout(this.#timers.get(id));
      this.#timers.delete(id);
    }
    this.#overrides = next;
    for (const o of added) this.#arm(o);
    this.#options.onApplied?.(this.list());
  }

  close(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  #drop(o: Override): void {
    this.#overrides.delete(o.id);
    const t = this.#timers.get(o.id);
    if (t !== undefined) clearTimeout(t);
    this.#timers.delete(o.id);
    this.#save();
  }

  #arm(o: Override): void {
    if (o.expiresAt === null) return;
    const delay = o.expiresAt - this.#now();
    if (delay <= 0) {
      this.#expire(o);
      return;
    }
    const timer = setTimeout(
      () => {
        this.#timers.delete(o.id);
        if (this.#overrides.get(o.id) !== o) return;
        if (o.expiresAt! > this.#now()) this.#arm(o);
        else this.#expire(o);
      },
      Math.min(delay, MAX_TIMER_MS),
    );
    timer.unref();
    this.#timers.set(o.id, timer);
  }

  #expire(o: Override): void {
    this.#drop(o);
    if (this.#shared !== null) {
      this.#options.onApplied?.(this.list());
      this.#deleteExpired(o);
      return;
    }
    this.#changed('expired', o, 'expiry');
  }

  /** Deletes an expired shared override; the node whose delete removed it audits the expiry. */
  #deleteExpired(o: Override): void {
    if (this.#shared === null || this.#expiring.has(o.id)) return;
    this.#expiring.add(o.id);
    this.#shared
      .delete(o.id)
      .then(
        (gone) => {
          if (gone !== null) this.#changed('expired', gone, 'expiry');
        },
        // Still stored: deleted once etcd is back (every node retries when it sees it again).
        () => undefined,
      )
      .finally(() => this.#expiring.delete(o.id));
  }

  #changed(change: OverrideChange, o: Override, by: string): void {
    this.#audit?.append(change, o, by);
    this.#options.onChange(this.list(), change, o, by);
  }

  #read(): Override[] {
    if (this.#file === null) return [];
    let text: string;
    try {
      text = fs.readFileSync(this.#file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw steerError('STEER_FILE_READ', [this.#file, (err as Error).message]);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw steerError('STEER_OVERRIDES_FILE', [this.#file, `not JSON (${(err as Error).message})`]);
    }
    const parsed = fileSchema.safeParse(raw);
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      throw steerError('STEER_OVERRIDES_FILE', [this.#file, `${i.path.join('.')}: ${i.message}`]);
    }
    return parsed.data.overrides.map((o) => Object.freeze({ ...o }));
  }

  #save(): void {
    if (this.#file === null) return;
    const tmp = `${this.#file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify({ version: 1, overrides: this.list() }, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, this.#file);
  }
}
