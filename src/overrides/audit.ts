// The audit log: one JSON line per override created, removed or expired, appended (never
// rewritten) so that it can be shipped and kept. Format: docs/operations.md#audit-log.
import fs from 'node:fs';
import type { Override } from './types.js';

export class AuditLog {
  readonly #file: string;
  readonly #node: string;

  constructor(file: string, node: string) {
    this.#file = file;
    this.#node = node;
  }

  append(event: 'created' | 'removed' | 'expired', o: Override, by: string): void {
    const line = {
      time: new Date().toISOString(),
      event,
      author: by,
      action: o.action,
      zone: o.zone,
      target: o.target,
      reason: o.reason,
      id: o.id,
      createdBy: o.author,
      expiresAt: o.expiresAt === null ? null : new Date(o.expiresAt).toISOString(),
      node: this.#node,
    };
    // Synchronous: the line is on disk before the API answers.
    fs.appendFileSync(this.#file, `${JSON.stringify(line)}\n`, { mode: 0o600 });
  }
}
