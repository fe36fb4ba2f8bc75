// The fleet's view of etcd: this node's lease and member record, its own observations, and a
// mirror of every member and observation in the fleet, kept current by one watch.
//
// Nothing here may stop a node from answering: every call has a deadline, failures only mark
// the store unreachable, and the mirror keeps the last data seen. A heartbeat loop (a third of
// the lease TTL) keeps the lease alive, rewrites the member record, re-grants a lost lease and
// then rewrites everything this node owns, and re-syncs the mirror after the watch was lost.
// Observations are written when they change, never per probe (a smoothed RTT: see rtt-publish.ts).
import { EventEmitter } from 'node:events';
import { Etcd3, type IOptions, type Watcher } from 'etcd3';
import type { Override } from '../overrides/types.js';
import type { Logger } from '../server/logger.js';
import { parseOverrideRecord } from './overrides-record.js';
import type { Observation } from './quorum.js';
import { type KeyLayout, keyLayout, type MemberRecord, type ObservationRecord, parseMemberRecord, parseObservation } from './records.js';

export interface StoreOptions {
  readonly hosts: readonly string[];
  readonly prefix: string;
  readonly node: string;
  /** Seconds; a dead node's records vanish this long after its last keepalive. */
  readonly leaseTtl: number;
  readonly tls?: { readonly ca: Buffer; readonly cert?: Buffer; readonly key?: Buffer } | null;
  readonly auth?: { readonly username: string; readonly password: string } | null;
  readonly logger: Logger;
  /** Deadline of each call (default 2000 ms). */
  readonly callTimeoutMs?: number;
}

export interface StoredObservation extends Observation {
  readonly at: number;
}

export interface StoreEvents {
  /** The mirror changed (members, observations or overrides). */
  change: [];
  /** The store became reachable or unreachable. */
  reachable: [boolean];
}

export interface StoreStats {
  readonly reachable: boolean;
  /** The mirror was loaded at least once. */
  readonly synced: boolean;
  /** Epoch ms of the last successful heartbeat, 0 before the first. */
  readonly lastContact: number;
  readonly writes: number;
  readonly failures: number;
  /** etcd revision the mirror is at. */
  readonly revision: number;
}

/** Puts in flight at once when many observations changed together (a mass failure). */
const WRITE_BATCH = 64;

export class FleetStore extends EventEmitter<StoreEvents> {
  readonly #client: Etcd3;
  readonly #keys: KeyLayout;
  readonly #opts: StoreOptions;
  readonly #log: Logger;
  #leaseId: string | null = null;
  #member: Omit<MemberRecord, 'heartbeat'> | null = null;
  /** What this node owns: target key → its observation (null: delete). */
  readonly #own = new Map<string, ObservationRecord>();
  /** Own store keys to (re)write or delete at the next flush. */
  readonly #dirty = new Set<string>();
  #flushing: Promise<void> | null = null;
  #flushAgain = false;

  readonly #members = new Map<string, MemberRecord>();
  readonly #observations = new Map<string, Map<string, StoredObservation>>();
  readonly #overrides = new Map<string, Override>();
  #watcher: Watcher | null = null;
  #watchHealthy = false;
  #synced = false;
  #revision = 0;
  #reachable = false;
  #lastContact = 0;
  #writes = 0;
  #failures = 0;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  #ticking = false;

  constructor(opts: StoreOptions) {
    super();
    this.#opts = opts;
    this.#keys = keyLayout(opts.prefix);
    this.#log = opts.logger;
    const timeout = opts.callTimeoutMs ?? 2000;
    const options: IOptions = {
      hosts: [...opts.hosts],
      dialTimeout: timeout,
      // Streams (the watch, keepalives) live on; every other call has a deadline.
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + timeout }),
    };
    if (opts.tls) options.credentials = { rootCertificate: opts.tls.ca, privateKey: opts.tls.key, certChain: opts.tls.cert };
    if (opts.auth) options.auth = { username: opts.auth.username, password: opts.auth.password };
    this.#client = new Etcd3(options);
  }

  get keys(): KeyLayout {
    return this.#keys;
  }

  /** Starts the heartbeat loop; returns at once (the first contact happens in the background). */
  start(): void {
    void this.#tick();
  }

  /** What this node says about itself; written at every heartbeat. */
  setMember(record: Omit<MemberRecord, 'heartbeat'>): void {
    this.#member = record;
  }

  /**
   * This node's settled state of a target (null: it no longer probes it). Written on change only:
   * the state, or the smoothed RTT (which fleet.ts changes only under rtt-publish.ts's rule).
   */
  setObservation(targetKey: string, record: ObservationRecord | null): void {
    const before = this.#own.get(targetKey);
    if (record === null) {
      if (before === undefined) return;
      this.#own.delete(targetKey);
    } else {
      if (
        before &&
        before.up === record.up &&
        before.reason === record.reason &&
        before.site === record.site &&
        before.smoothed?.rttMs === record.smoothed?.rttMs &&
        before.smoothed?.samples === record.smoothed?.samples
      )
        return;
      this.#own.set(targetKey, record);
    }
    this.#dirty.add(targetKey);
    this.#scheduleFlush();
  }

  members(): ReadonlyMap<string, MemberRecord> {
    return this.#members;
  }

  /** Every observation in the mirror: target key → node → observation. */
  observations(): ReadonlyMap<string, ReadonlyMap<string, StoredObservation>> {
    return this.#observations;
  }

  /** What this node owns (its own observations, written or about to be). */
  own(): ReadonlyMap<string, ObservationRecord> {
    return this.#own;
  }

  /** The fleet's operator overrides, by id, as last read. */
  overrides(): ReadonlyMap<string, Override> {
    return this.#overrides;
  }

  /** Writes an override (under no lease); resolves once the mirror holds it. Rejects when etcd cannot be written. */
  async putOverride(o: Override): Promise<void> {
    await this.#client.put(this.#keys.override(o.id)).value(JSON.stringify(o));
    this.#writes++;
    await this.#until(() => this.#overrides.has(o.id));
  }

  /**
   * Deletes an override: what this very call deleted (null: it was not there, or another node
   * deleted it first), once the mirror no longer holds it. Rejects when etcd cannot be written.
   */
  async deleteOverride(id: string): Promise<Override | null> {
    const known = this.#overrides.get(id);
    const previous = await this.#client.delete().key(this.#keys.override(id)).getPrevious();
    this.#writes++;
    const kv = previous[0];
    if (kv === undefined) return null;
    await this.#until(() => !this.#overrides.has(id));
    return known ?? parseOverrideRecord(kv.value.toString(), id);
  }

  /** Resolves when `done()` holds after a mirror change, or after a second (the watch catches up later). */
  #until(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.off('change', check);
        resolve();
      };
      const check = (): void => {
        if (done()) finish();
      };
      const timer = setTimeout(finish, 1000);
      this.on('change', check);
    });
  }

  stats(): StoreStats {
    return {
      reachable: this.#reachable,
      synced: this.#synced,
      lastContact: this.#lastContact,
      writes: this.#writes,
      failures: this.#failures,
      revision: this.#revision,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    const watcher = this.#watcher;
    this.#watcher = null;
    // Leaving on purpose: revoke the lease so the others re-shard now, not after the TTL.
    const lease = this.#leaseId;
    await Promise.allSettled([watcher?.cancel(), lease ? this.#client.leaseClient.leaseRevoke({ ID: lease }) : undefined]);
    this.#client.close();
  }

  // --- heartbeat ---

  readonly #tick = async (): Promise<void> => {
    if (this.#closed || this.#ticking) return;
    this.#ticking = true;
    try {
      await this.#heartbeat();
      if (!this.#synced || !this.#watchHealthy) await this.#sync();
      await this.#flush();
    } catch (err) {
      this.#failed(err, 'heartbeat');
    } finally {
      this.#ticking = false;
      if (!this.#closed) {
        const every = Math.max(200, (this.#opts.leaseTtl * 1000) / 3);
        // Unreachable: try again sooner, so the node rejoins soon after the store is back.
        this.#timer = setTimeout(this.#tick, this.#reachable ? every : Math.min(every, 500));
        this.#timer.unref();
      }
    }
  };

  async #heartbeat(): Promise<void> {
    if (this.#leaseId !== null) {
      if (!(await this.#keepalive(this.#leaseId))) {
        this.#log.warn({ lease: this.#leaseId }, 'fleet: lease expired; registering again');
        this.#leaseId = null;
      }
    }
    if (this.#leaseId === null) {
      const granted = await this.#client.leaseClient.leaseGrant({ TTL: this.#opts.leaseTtl });
      this.#leaseId = String(granted.ID);
      // Everything this node owned went with the old lease.
      for (const key of this.#own.keys()) this.#dirty.add(key);
    }
    if (this.#member) {
      const record: MemberRecord = { ...this.#member, heartbeat: Date.now() };
      await this.#client.put(this.#keys.member(record.node)).value(JSON.stringify(record)).lease(this.#leaseId);
      this.#writes++;
    }
    this.#contact();
  }

  /** One keepalive over a short-lived stream: false when etcd says the lease is gone. */
  async #keepalive(id: string): Promise<boolean> {
    const stream = await this.#client.leaseClient.leaseKeepAlive();
    try {
      const res = await withDeadline(
        new Promise<{ TTL: string }>((resolve, reject) => {
          stream.on('data', resolve);
          stream.on('error', reject);
          stream.write({ ID: id });
        }),
        this.#opts.callTimeoutMs ?? 2000,
        'keepalive',
      );
      return Number(res.TTL) > 0;
    } finally {
      stream.end();
    }
  }

  #contact(): void {
    this.#lastContact = Date.now();
    if (!this.#reachable) {
      this.#reachable = true;
      this.#log.info('fleet: store reachable');
      this.emit('reachable', true);
    }
  }

  #failed(err: unknown, what: string): void {
    this.#failures++;
    if (this.#reachable) {
      this.#reachable = false;
      this.#log.warn({ err: (err as Error).message, what }, 'fleet: store unreachable; serving the last fleet health');
      this.emit('reachable', false);
    }
  }

  // --- the mirror ---

  /** Loads every member and observation at one revision, then watches from the next. */
  async #sync(): Promise<void> {
    const old = this.#watcher;
    this.#watcher = null;
    this.#watchHealthy = false;
    if (old) void old.cancel().catch(() => undefined);
    const res = await this.#client.getAll().prefix(this.#keys.prefix).exec();
    this.#members.clear();
    this.#observations.clear();
    this.#overrides.clear();
    for (const kv of res.kvs) this.#apply(kv.key.toString(), kv.value.toString(), Number(kv.mod_revision));
    this.#revision = Number(res.header.revision);
    this.#synced = true;
    this.emit('change');
    const watcher = await this.#client
      .watch()
      .prefix(this.#keys.prefix)
      .startRevision(String(this.#revision + 1))
      .create();
    if (this.#closed) {
      void watcher.cancel().catch(() => undefined);
      return;
    }
    this.#watcher = watcher;
    this.#watchHealthy = true;
    watcher.on('put', (kv) => {
      if (this.#watcher !== watcher) return;
      this.#revision = Math.max(this.#revision, Number(kv.mod_revision));
      this.#apply(kv.key.toString(), kv.value.toString(), Number(kv.mod_revision));
      this.emit('change');
    });
    watcher.on('delete', (kv) => {
      if (this.#watcher !== watcher) return;
      this.#revision = Math.max(this.#revision, Number(kv.mod_revision));
      this.#remove(kv.key.toString());
      this.emit('change');
    });
    // A lost stream is re-synced by the next heartbeat that reaches the store: deletions while
    // it was down (expired leases) are then seen even if the watch cannot resume.
    watcher.on('disconnected', () => {
      if (this.#watcher === watcher) this.#watchHealthy = false;
    });
    watcher.on('error', () => {
      if (this.#watcher === watcher) this.#watchHealthy = false;
    });
  }

  #apply(key: string, value: string, revision: number): void {
    const node = this.#keys.parseMember(key);
    if (node !== null) {
      const record = parseMemberRecord(value);
      if (record) this.#members.set(node, record);
      return;
    }
    const id = this.#keys.parseOverride(key);
    if (id !== null) {
      const o = parseOverrideRecord(value, id);
      if (o) this.#overrides.set(id, o);
      else this.#log.warn({ key }, 'fleet: an override in the store does not parse; skipped');
      return;
    }
    const at = this.#keys.parseObservation(key);
    if (at === null) return;
    const obs = parseObservation(value, at.node, revision);
    if (!obs) return;
    let byNode = this.#observations.get(at.targetKey);
    if (!byNode) {
      byNode = new Map();
      this.#observations.set(at.targetKey, byNode);
    }
    byNode.set(at.node, obs);
  }

  #remove(key: string): void {
    const node = this.#keys.parseMember(key);
    if (node !== null) {
      this.#members.delete(node);
      return;
    }
    const id = this.#keys.parseOverride(key);
    if (id !== null) {
      this.#overrides.delete(id);
      return;
    }
    const at = this.#keys.parseObservation(key);
    if (at === null) return;
    const byNode = this.#observations.get(at.targetKey);
    byNode?.delete(at.node);
    if (byNode?.size === 0) this.#observations.delete(at.targetKey);
  }

  // --- own observations ---

  #scheduleFlush(): void {
    if (this.#flushing) {
      this.#flushAgain = true;
      return;
    }
    // Changes of one probe round (a mass failure) go out together.
    setTimeout(() => void this.#flush().catch((err: unknown) => this.#failed(err, 'write')), 10).unref();
  }

  /** Writes every dirty own observation under the lease; what fails stays dirty for the next try. */
  #flush(): Promise<void> {
    if (this.#flushing) {
      this.#flushAgain = true;
      return this.#flushing;
    }
    if (this.#leaseId === null || this.#dirty.size === 0 || this.#closed) return Promise.resolve();
    const lease = this.#leaseId;
    this.#flushing = (async () => {
      try {
        const keys = [...this.#dirty];
        this.#dirty.clear();
        for (let i = 0; i < keys.length; i += WRITE_BATCH) {
          const batch = keys.slice(i, i + WRITE_BATCH);
          const results = await Promise.allSettled(batch.map((k) => this.#write(k, lease)));
          let failed: unknown = null;
          results.forEach((r, j) => {
            if (r.status === 'rejected') {
              failed ??= r.reason;
              this.#dirty.add(batch[j]!);
            }
          });
          if (failed !== null) {
            for (const k of keys.slice(i + WRITE_BATCH)) this.#dirty.add(k);
            throw failed;
          }
        }
        this.#contact();
      } finally {
        this.#flushing = null;
        if (this.#flushAgain) {
          this.#flushAgain = false;
          this.#scheduleFlush();
        }
      }
    })();
    return this.#flushing;
  }

  async #write(targetKey: string, lease: string): Promise<void> {
    const key = this.#keys.observation(targetKey, this.#opts.node);
    const record = this.#own.get(targetKey);
    if (record === undefined) await this.#client.delete().key(key);
    else await this.#client.put(key).value(JSON.stringify(record)).lease(lease);
    this.#writes++;
  }
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
