// RFC 1035 §5 master files → records. Strict: anything questionable is an error naming file and
// line, and every error of a file is collected (up to a cap) so an operator fixes them in one go.
import fs from 'node:fs';
import path from 'node:path';
import { steerError, type SteerError, type SteerErrorCode } from '../errors.js';
import type { RR } from '../wire/types.js';
import { lexZone, type Entry, type Token } from './lexer.js';
import { parseNameText } from './name.js';
import { parseRData, RDataError, stringBytes } from './rdata-parse.js';
import { isDataType, typeFromText, typeName } from './rrtype-names.js';
import { parseTtl } from './ttl.js';

/** A record as read from a file, with where it was written. */
export interface ParsedRecord extends RR {
  readonly line: number;
  readonly file: string;
}

export interface ParseOptions {
  /** Name of the text's file, used in errors and to resolve relative $INCLUDE paths. */
  readonly file: string;
  /** Initial $ORIGIN (presentation or canonical text; a trailing dot is optional). */
  readonly origin: string;
  /** $INCLUDE may only read files inside this directory (after resolving symlinks and ".."). */
  readonly zonesDir: string;
  /** Reads an included file; defaults to a strict UTF-8 read from disk. */
  readonly readFile?: (file: string) => string;
  /** Resolves symlinks; defaults to fs.realpathSync, or to a lexical resolve when readFile is given. */
  readonly realpath?: (file: string) => string;
  /** Stop collecting after this many errors (default 100). */
  readonly maxErrors?: number;
}

export interface ParseResult {
  readonly records: ParsedRecord[];
  readonly errors: SteerError[];
  /**
   * The zone's origin: opts.origin, unless an $ORIGIN came before the first record (or first
   * $INCLUDE) of the top-level file, in which case it is that one.
   */
  readonly origin: string;
}

export const MAX_INCLUDE_DEPTH = 8;
export const DEFAULT_MAX_ERRORS = 100;

interface ParseState {
  origin: string;
  /** From $TTL (RFC 2308). */
  defaultTtl: number | null;
  /** Last explicit TTL: the RFC 1035 default when there is no $TTL. */
  lastTtl: number | null;
  lastOwner: string | null;
  /** The last owner was unreadable: blank-owner lines after it are skipped, not re-reported. */
  ownerBroken: boolean;
}

const CLASS_TEXT = /^(?:IN|CH|CS|HS|NONE|ANY|CLASS\d+)$/i;
const IN_TEXT = /^(?:IN|CLASS0*1)$/i;

/** Reads a file as UTF-8 and refuses invalid byte sequences, naming the first bad line. */
export function readZoneFileText(file: string): string {
  const buf = fs.readFileSync(file);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    // TextDecoder drops a leading byte-order mark, so it never becomes part of an owner name.
    return decoder.decode(buf);
  } catch {
    let line = 1;
    let start = 0;
    for (let i = 0; i <= buf.length; i++) {
      if (i === buf.length || buf[i] === 0x0a) {
        try {
          decoder.decode(buf.subarray(start, i));
        } catch {
          break;
        }
        line++;
        start = i + 1;
      }
    }
    throw new Error(`line ${line} is not valid UTF-8 (write other bytes as \\DDD escapes)`);
  }
}

function errorReason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

class ZoneParser {
  readonly records: ParsedRecord[] = [];
  readonly errors: SteerError[] = [];
  apex: string | null = null;
  private stopped = false;
  private readonly zonesReal: string | null;

  constructor(
    private readonly zonesDir: string,
    private readonly readFile: (file: string) => string,
    private readonly realpath: (file: string) => string,
    private readonly maxErrors: number,
  ) {
    let real: string | null = null;
    try {
      real = realpath(path.resolve(zonesDir));
    } catch {
      real = null;
    }
    this.zonesReal = real;
  }

  private report(code: SteerErrorCode, args: readonly (string | number)[], file: string, line: number): void {
    if (this.stopped) return;
    if (this.errors.length >= this.maxErrors) {
      this.errors.push(steerError('STEER_ZONE_TOO_MANY_ERRORS', [this.maxErrors], { file, line }));
      this.stopped = true;
      return;
    }
    this.errors.push(steerError(code, args, { file, line }));
  }

  parseText(text: string, file: string, state: ParseState, stack: readonly string[]): void {
    for (const entry of lexZone(text)) {
      if (this.stopped) return;
      if (entry.error !== null) {
        this.report('STEER_ZONE_SYNTAX', [entry.error.message], file, entry.error.line);
        this.noteOwnerOfBrokenEntry(entry, state);
        continue;
      }
      const first = entry.tokens[0]!;
      if (!first.quoted && first.text.startsWith('$')) this.directive(entry, file, state, stack);
      else this.record(entry, file, state, stack.length === 1);
    }
  }

  /** Blank-owner lines after a broken entry still need its owner, when it can be read. */
  private noteOwnerOfBrokenEntry(entry: Entry, state: ParseState): void {
    if (entry.blankOwner) return;
    const t = entry.tokens[0];
    if (t !== undefined && !t.quoted && t.text.startsWith('$')) return;
    const r = t === undefined || t.quoted ? null : parseNameText(t.text, state.origin);
    if (r !== null && r.ok) {
      state.lastOwner = r.name;
      state.ownerBroken = false;
    } else {
      state.ownerBroken = true;
    }
  }

  private directive(entry: Entry, file: string, state: ParseState, stack: readonly string[]): void {
    const [head, ...args] = entry.tokens;
    const name = head!.text.toUpperCase();
    const line = entry.line;
    switch (name) {
      case '$ORIGIN': {
        if (args.length !== 1) return this.report('STEER_ZONE_SYNTAX', ['$ORIGIN needs exactly one domain name'], file, line);
        const origin = this.name(args[0]!, state.origin, file);
        if (origin !== null) state.origin = origin;
        return;
      }
      case '$TTL': {
        if (args.length !== 1) return this.report('STEER_ZONE_SYNTAX', ['$TTL needs exactly one TTL'], file, line);
        const ttl = args[0]!.quoted ? `bad TTL "${args[0]!.text}"` : parseTtl(args[0]!.text);
        if (typeof ttl === 'string') return this.report('STEER_ZONE_BAD_TTL', [ttl], file, line);
        state.defaultTtl = ttl;
        return;
      }
      case '$INCLUDE': {
        if (args.length < 1 || args.length > 2) {
          return this.report('STEER_ZONE_SYNTAX', ['$INCLUDE needs a file name and an optional origin'], file, line);
        }
        if (stack.length === 1 && this.apex === null) this.apex = state.origin;
        let target: string;
        try {
          target = Buffer.from(stringBytes(args[0]!)).toString('utf8');
        } catch (err) {
          return this.report('STEER_ZONE_INCLUDE', [args[0]!.text, errorReason(err)], file, line);
        }
        let origin = state.origin;
        if (args[1] !== undefined) {
          const o = this.name(args[1], state.origin, file);
          if (o === null) return;
          origin = o;
        }
        return this.include(target, origin, file, line, state, stack);
      }
      default:
        return this.report('STEER_ZONE_SYNTAX', [`unknown directive ${head!.text}`], file, line);
    }
  }

  private include(target: string, origin: string, file: string, line: number, state: ParseState, stack: readonly string[]): void {
    const fail = (why: string): void => this.report('STEER_ZONE_INCLUDE', [target, why], file, line);
    if (target === '') return fail('empty file name');
    const shown = path.isAbsolute(target) ? target : path.join(path.dirname(file), target);
    let real: string;
    try {
      real = this.realpath(path.resolve(shown));
    } catch (err) {
      return fail(errorReason(err));
    }
    if (this.zonesReal === null) return fail(`the zones directory ${this.zonesDir} cannot be resolved`);
    const inside = this.zonesReal.endsWith(path.sep) ? this.zonesReal : this.zonesReal + path.sep;
    if (!real.startsWith(inside)) return fail(`${real} is outside the zones directory ${this.zonesDir}`);
    if (stack.includes(real)) return fail('the file includes itself');
    if (stack.length > MAX_INCLUDE_DEPTH) return fail(`more than ${MAX_INCLUDE_DEPTH} nested $INCLUDEs`);
    let text: string;
    try {
      text = this.readFile(real);
    } catch (err) {
      return fail(errorReason(err));
    }
    // RFC 1035 §5.1: an include has its own origin and never changes the including file's state.
    const child: ParseState = { ...state, origin };
    this.parseText(text, shown, child, [...stack, real]);
  }

  private name(t: Token, origin: string, file: string): string | null {
    if (t.quoted) {
      this.report('STEER_ZONE_BAD_NAME', [`expected a domain name, got the quoted string "${t.text}"`], file, t.line);
      return null;
    }
    const r = parseNameText(t.text, origin);
    if (!r.ok) {
      this.report('STEER_ZONE_BAD_NAME', [r.error], file, t.line);
      return null;
    }
    return r.name;
  }

  private record(entry: Entry, file: string, state: ParseState, topLevel: boolean): void {
    const tokens = entry.tokens;
    const line = entry.line;
    let idx = 0;
    let owner: string;
    if (entry.blankOwner) {
      if (state.ownerBroken) return;
      if (state.lastOwner === null) {
        return this.report('STEER_ZONE_SYNTAX', ['record without an owner name and no previous owner'], file, line);
      }
      owner = state.lastOwner;
    } else {
      const parsed = this.name(tokens[0]!, state.origin, file);
      idx = 1;
      if (parsed === null) {
        state.ownerBroken = true;
        return;
      }
      owner = parsed;
      state.lastOwner = owner;
      state.ownerBroken = false;
    }
    if (topLevel && this.apex === null) this.apex = state.origin;

    // [<TTL>] [<class>] or [<class>] [<TTL>], then the type.
    let ttl: number | null = null;
    let classSeen = false;
    for (let k = 0; k < 2; k++) {
      const t = tokens[idx];
      if (t === undefined || t.quoted) break;
      if (CLASS_TEXT.test(t.text)) {
        if (classSeen) return this.report('STEER_ZONE_SYNTAX', ['class given twice'], file, t.line);
        if (!IN_TEXT.test(t.text)) return this.report('STEER_ZONE_BAD_CLASS', [t.text], file, t.line);
        classSeen = true;
      } else if (/^\d/.test(t.text)) {
        if (ttl !== null) return this.report('STEER_ZONE_SYNTAX', ['TTL given twice'], file, t.line);
        const r = parseTtl(t.text);
        if (typeof r === 'string') return this.report('STEER_ZONE_BAD_TTL', [r], file, t.line);
        ttl = r;
      } else {
        break;
      }
      idx++;
    }
    const typeTok = tokens[idx];
    if (typeTok === undefined) return this.report('STEER_ZONE_SYNTAX', ['missing record type'], file, line);
    const type = typeTok.quoted ? undefined : typeFromText(typeTok.text);
    if (type === undefined) return this.report('STEER_ZONE_UNKNOWN_TYPE', [typeTok.text], file, typeTok.line);
    if (!isDataType(type)) return this.report('STEER_ZONE_META_TYPE', [typeName(type)], file, typeTok.line);

    if (ttl !== null) state.lastTtl = ttl;
    const effectiveTtl = ttl ?? state.defaultTtl ?? state.lastTtl;
    if (effectiveTtl === null) return this.report('STEER_ZONE_NO_TTL', [], file, line);

    try {
      const data = parseRData(type, tokens.slice(idx + 1), state.origin);
      this.records.push({ name: owner, type, ttl: effectiveTtl, data, line, file });
    } catch (err) {
      if (!(err instanceof RDataError)) throw err;
      const at = err.token?.line ?? line;
      if (err.genericOnly) this.report('STEER_ZONE_GENERIC_ONLY', [typeName(type)], file, at);
      else this.report('STEER_ZONE_BAD_RDATA', [typeName(type), err.message], file, at);
    }
  }
}

/**
 * Parses master-file text. Never throws for bad input: problems come back in `errors`, each
 * with file and line, and the records that did parse come back too.
 */
export function parseZoneText(text: string, opts: ParseOptions): ParseResult {
  const readFile = opts.readFile ?? readZoneFileText;
  const realpath = opts.realpath ?? (opts.readFile ? (p: string) => path.resolve(p) : (p: string) => fs.realpathSync(p));
  const parser = new ZoneParser(opts.zonesDir, readFile, realpath, opts.maxErrors ?? DEFAULT_MAX_ERRORS);
  const origin = parseNameText(opts.origin, '');
  if (!origin.ok) {
    parser.errors.push(steerError('STEER_ZONE_BAD_NAME', [`bad zone origin: ${origin.error}`], { file: opts.file }));
    return { records: parser.records, errors: parser.errors, origin: opts.origin };
  }
  let self: string;
  try {
    self = realpath(path.resolve(opts.file));
  } catch {
    self = path.resolve(opts.file);
  }
  const state: ParseState = { origin: origin.name, defaultTtl: null, lastTtl: null, lastOwner: null, ownerBroken: false };
  parser.parseText(text, opts.file, state, [self]);
  return { records: parser.records, errors: parser.errors, origin: parser.apex ?? origin.name };
}
