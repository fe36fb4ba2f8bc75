// RFC 1035 §5 master files → records. Strict: anything questionable is an error naming file and
// line, and every error of a file is collected (up to a cap) so an operator fixes them in one go.
import fs from 'node:fs';
import path from 'node:path';
import { steerError, type SteerError, type SteerErrorCode } from '../errors.js';
import { RRType, type RData, type RR } from '../wire/types.js';
import { BytePool } from './byte-pool.js';
import { ZoneLexer, type Token } from './lexer.js';
import { parseNameText, plainName } from './name.js';
import { ipv4Into, notIPv4, parseRData, RDataError, stringBytes } from './rdata-parse.js';
import { isDataType, typeFromText, typeName } from './rrtype-names.js';
import { MAX_TTL, parseTtl } from './ttl.js';

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

/**
 * Records in columns, as the zone loader wants them: rrs[i] is a frozen record ready to be
 * served, written at files[i]:lines[i]. No per-record object beyond the record itself.
 */
export interface RecordList {
  readonly rrs: RR[];
  readonly lines: number[];
  readonly files: string[];
}

export interface ZoneParse {
  readonly list: RecordList;
  readonly errors: SteerError[];
  /** As ParseResult.origin. */
  readonly origin: string;
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
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
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
  readonly list: RecordList = { rrs: [], lines: [], files: [] };
  readonly errors: SteerError[] = [];
  private readonly pool = new BytePool();
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
    const lexer = new ZoneLexer(text);
    while (lexer.next()) {
      if (this.stopped) return;
      if (lexer.error !== null) {
        this.report('STEER_ZONE_SYNTAX', [lexer.error.message], file, lexer.error.line);
        this.noteOwnerOfBrokenEntry(lexer, state);
        continue;
      }
      if (!lexer.quoted[0] && text.charCodeAt(lexer.starts[0]!) === 0x24 /* $ */)
        this.directive(lexer.tokens(), lexer.line, file, state, stack);
      else this.record(lexer, file, state, stack.length === 1);
    }
  }

  /** Blank-owner lines after a broken entry still need its owner, when it can be read. */
  private noteOwnerOfBrokenEntry(lexer: ZoneLexer, state: ParseState): void {
    if (lexer.blankOwner) return;
    const t = lexer.count > 0 ? lexer.token(0) : undefined;
    if (t !== undefined && !t.quoted && t.text.startsWith('$')) return;
    const r = t === undefined || t.quoted ? null : parseNameText(t.text, state.origin);
    if (r?.ok) {
      state.lastOwner = r.name;
      state.ownerBroken = false;
    } else {
      state.ownerBroken = true;
    }
  }

  private directive(tokens: readonly Token[], line: number, file: string, state: ParseState, stack: readonly string[]): void {
    const [head, ...args] = tokens;
    const name = head!.text.toUpperCase();
    switch (name) {
      case '$ORIGIN': {
        if (args.length !== 1) {
          this.report('STEER_ZONE_SYNTAX', ['$ORIGIN needs exactly one domain name'], file, line);
          return;
        }
        const origin = this.name(args[0]!, state.origin, file);
        if (origin !== null) state.origin = origin;
        return;
      }
      case '$TTL': {
        if (args.length !== 1) {
          this.report('STEER_ZONE_SYNTAX', ['$TTL needs exactly one TTL'], file, line);
          return;
        }
        const ttl = args[0]!.quoted ? `bad TTL "${args[0]!.text}"` : parseTtl(args[0]!.text);
        if (typeof ttl === 'string') {
          this.report('STEER_ZONE_BAD_TTL', [ttl], file, line);
          return;
        }
        state.defaultTtl = ttl;
        return;
      }
      case '$INCLUDE': {
        if (args.length < 1 || args.length > 2) {
          this.report('STEER_ZONE_SYNTAX', ['$INCLUDE needs a file name and an optional origin'], file, line);
          return;
        }
        if (stack.length === 1 && this.apex === null) this.apex = state.origin;
        let target: string;
        try {
          target = Buffer.from(stringBytes(args[0]!)).toString('utf8');
        } catch (err) {
          this.report('STEER_ZONE_INCLUDE', [args[0]!.text, errorReason(err)], file, line);
          return;
        }
        let origin = state.origin;
        if (args[1] !== undefined) {
          const o = this.name(args[1], state.origin, file);
          if (o === null) return;
          origin = o;
        }
        this.include(target, origin, file, line, state, stack);
        return;
      }
      default:
        this.report('STEER_ZONE_SYNTAX', [`unknown directive ${head!.text}`], file, line);
        return;
    }
  }

  private include(target: string, origin: string, file: string, line: number, state: ParseState, stack: readonly string[]): void {
    const fail = (why: string): void => this.report('STEER_ZONE_INCLUDE', [target, why], file, line);
    if (target === '') {
      fail('empty file name');
      return;
    }
    const shown = path.isAbsolute(target) ? target : path.join(path.dirname(file), target);
    let real: string;
    try {
      real = this.realpath(path.resolve(shown));
    } catch (err) {
      fail(errorReason(err));
      return;
    }
    if (this.zonesReal === null) {
      fail(`the zones directory ${this.zonesDir} cannot be resolved`);
      return;
    }
    const inside = this.zonesReal.endsWith(path.sep) ? this.zonesReal : this.zonesReal + path.sep;
    if (!real.startsWith(inside)) {
      fail(`${real} is outside the zones directory ${this.zonesDir}`);
      return;
    }
    if (stack.includes(real)) {
      fail('the file includes itself');
      return;
    }
    if (stack.length > MAX_INCLUDE_DEPTH) {
      fail(`more than ${MAX_INCLUDE_DEPTH} nested $INCLUDEs`);
      return;
    }
    let text: string;
    try {
      text = this.readFile(real);
    } catch (err) {
      fail(errorReason(err));
      return;
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

  /** Token i of the current entry as a name; the plain common case needs no Token object. */
  private nameAt(lexer: ZoneLexer, i: number, origin: string, file: string): string | null {
    if (!lexer.quoted[i]) {
      const text = lexer.tokenText(i);
      if (text !== '@' && text !== '.') {
        const plain = plainName(text, origin);
        if (plain !== null) return plain;
      }
    }
    return this.name(lexer.token(i), origin, file);
  }

  private record(lexer: ZoneLexer, file: string, state: ParseState, topLevel: boolean): void {
    const text = lexer.text;
    const count = lexer.count;
    const line = lexer.line;
    let idx = 0;
    let owner: string;
    if (lexer.blankOwner) {
      if (state.ownerBroken) return;
      if (state.lastOwner === null) {
        this.report('STEER_ZONE_SYNTAX', ['record without an owner name and no previous owner'], file, line);
        return;
      }
      owner = state.lastOwner;
    } else {
      const parsed = this.nameAt(lexer, 0, state.origin, file);
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

    // [<TTL>] [<class>] or [<class>] [<TTL>], then the type. Tokens are looked at in place;
    // only unusual ones are cut out of the text.
    let ttl: number | null = null;
    let classSeen = false;
    for (let k = 0; k < 2 && idx < count && !lexer.quoted[idx]; k++) {
      const start = lexer.starts[idx]!;
      const end = lexer.ends[idx]!;
      const tokenLine = lexer.lines[idx]!;
      const c0 = text.charCodeAt(start);
      if (c0 >= DIGIT_0 && c0 <= DIGIT_9) {
        if (ttl !== null) {
          this.report('STEER_ZONE_SYNTAX', ['TTL given twice'], file, tokenLine);
          return;
        }
        const r = decimalAt(text, start, end) ?? parseTtl(text.slice(start, end));
        if (typeof r === 'string') {
          this.report('STEER_ZONE_BAD_TTL', [r], file, tokenLine);
          return;
        }
        ttl = r;
      } else if (end - start === 2 && (c0 | 0x20) === 0x69 && (text.charCodeAt(start + 1) | 0x20) === 0x6e) {
        // "IN", by far the most common.
        if (classSeen) {
          this.report('STEER_ZONE_SYNTAX', ['class given twice'], file, tokenLine);
          return;
        }
        classSeen = true;
      } else if (end - start > 1 && CLASS_TEXT.test(text.slice(start, end))) {
        const t = text.slice(start, end);
        if (classSeen) {
          this.report('STEER_ZONE_SYNTAX', ['class given twice'], file, tokenLine);
          return;
        }
        if (!IN_TEXT.test(t)) {
          this.report('STEER_ZONE_BAD_CLASS', [t], file, tokenLine);
          return;
        }
        classSeen = true;
      } else {
        break;
      }
      idx++;
    }
    if (idx >= count) {
      this.report('STEER_ZONE_SYNTAX', ['missing record type'], file, line);
      return;
    }
    const type = typeAt(lexer, idx);
    if (type === undefined) {
      this.report('STEER_ZONE_UNKNOWN_TYPE', [lexer.tokenText(idx)], file, lexer.lines[idx]!);
      return;
    }
    if (!isDataType(type)) {
      this.report('STEER_ZONE_META_TYPE', [typeName(type)], file, lexer.lines[idx]!);
      return;
    }

    if (ttl !== null) state.lastTtl = ttl;
    const effectiveTtl = ttl ?? state.defaultTtl ?? state.lastTtl;
    if (effectiveTtl === null) {
      this.report('STEER_ZONE_NO_TTL', [], file, line);
      return;
    }

    try {
      let data: RData;
      const first = idx + 1;
      if (type === RRType.A && count === first + 1 && !lexer.quoted[first]) {
        // The bulk of a big zone: the address is read straight from the text into the pool.
        const bytes = this.pool.alloc(4);
        if (!ipv4Into(text, lexer.starts[first]!, lexer.ends[first]!, bytes)) throw notIPv4(lexer.token(first));
        data = { kind: 'raw', bytes };
      } else {
        data = parseRData(type, lexer.tokens(first), state.origin, this.pool);
      }
      const list = this.list;
      list.rrs.push(Object.freeze({ name: owner, type, ttl: effectiveTtl, data: Object.freeze(data) }));
      list.lines.push(line);
      list.files.push(file);
    } catch (err) {
      if (!(err instanceof RDataError)) throw err;
      const at = err.token?.line ?? line;
      if (err.genericOnly) this.report('STEER_ZONE_GENERIC_ONLY', [typeName(type)], file, at);
      else this.report('STEER_ZONE_BAD_RDATA', [typeName(type), err.message], file, at);
    }
  }
}

/** A TTL written as plain seconds, read in place; null for anything else (parseTtl decides). */
function decimalAt(text: string, start: number, end: number): number | null {
  if (end - start > 10) return null;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < DIGIT_0 || c > DIGIT_9) return null;
    v = v * 10 + (c - DIGIT_0);
  }
  return v <= MAX_TTL ? v : null;
}

/** The record type of token i; the one-letter "A" needs no string. */
function typeAt(lexer: ZoneLexer, i: number): number | undefined {
  if (lexer.quoted[i]) return undefined;
  const start = lexer.starts[i]!;
  if (lexer.ends[i]! - start === 1 && (lexer.text.charCodeAt(start) | 0x20) === 0x61) return RRType.A;
  return typeFromText(lexer.tokenText(i));
}

/**
 * Parses master-file text. Never throws for bad input: problems come back in `errors`, each
 * with file and line, and the records that did parse come back too.
 */
export function parseZoneText(text: string, opts: ParseOptions): ParseResult {
  const { list, errors, origin } = parseZone(text, opts);
  const records = list.rrs.map(
    (rr, i): ParsedRecord => ({ name: rr.name, type: rr.type, ttl: rr.ttl, data: rr.data, line: list.lines[i]!, file: list.files[i]! }),
  );
  return { records, errors, origin };
}

/** parseZoneText with the records in columns (see RecordList): what the zone loader uses. */
export function parseZone(text: string, opts: ParseOptions): ZoneParse {
  const readFile = opts.readFile ?? readZoneFileText;
  const realpath = opts.realpath ?? (opts.readFile ? (p: string) => path.resolve(p) : (p: string) => fs.realpathSync(p));
  const parser = new ZoneParser(opts.zonesDir, readFile, realpath, opts.maxErrors ?? DEFAULT_MAX_ERRORS);
  const origin = parseNameText(opts.origin, '');
  if (!origin.ok) {
    parser.errors.push(steerError('STEER_ZONE_BAD_NAME', [`bad zone origin: ${origin.error}`], { file: opts.file }));
    return { list: parser.list, errors: parser.errors, origin: opts.origin };
  }
  let self: string;
  try {
    self = realpath(path.resolve(opts.file));
  } catch {
    self = path.resolve(opts.file);
  }
  const state: ParseState = { origin: origin.name, defaultTtl: null, lastTtl: null, lastOwner: null, ownerBroken: false };
  parser.parseText(text, opts.file, state, [self]);
  return { list: parser.list, errors: parser.errors, origin: parser.apex ?? origin.name };
}
