// RFC 1035 §5.1 master-file tokenizer: splits text into entries (one logical line each, with
// parentheses joining physical lines), drops comments, and keeps every token's raw text with its
// escapes intact — names and strings decode escapes differently, so decoding is left to them.
//
// Zones can hold millions of entries, so the lexer is a cursor: next() moves to the following
// entry and describes its tokens as offsets into the text, in arrays reused from entry to entry.
// Nothing is allocated per token unless the parser asks for the token's text or a Token object.

export interface Token {
  /** Raw text; for a quoted string, the contents between the quotes (escapes kept). */
  readonly text: string;
  readonly quoted: boolean;
  readonly line: number;
}

export interface Entry {
  /** Line of the first token. */
  readonly line: number;
  /** The entry's physical line began with blank space: the owner is the previous owner. */
  readonly blankOwner: boolean;
  readonly tokens: readonly Token[];
  /** First syntax problem found while reading the entry; such an entry is reported, not used. */
  readonly error: { readonly line: number; readonly message: string } | null;
}

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const LPAREN = 0x28;
const RPAREN = 0x29;
const SEMICOLON = 0x3b;
const BACKSLASH = 0x5c;

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB || c === CR;
}

/** Characters that end an unquoted token. */
function endsWord(c: number): boolean {
  return c === SPACE || c === TAB || c === CR || c === LF || c === SEMICOLON || c === LPAREN || c === RPAREN || c === QUOTE;
}

export class ZoneLexer {
  /** The current entry (valid after next() returned true). */
  line = 0;
  blankOwner = false;
  count = 0;
  error: { line: number; message: string } | null = null;
  /** Token i of the current entry is text[starts[i], ends[i]), first seen on lines[i]. */
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  readonly lines: number[] = [];
  readonly quoted: boolean[] = [];

  private pos = 0;
  private physicalLine = 1;
  private inParens = false;
  private parenLine = 0;
  private lineStartsBlank: boolean;
  private started = false;

  constructor(readonly text: string) {
    this.lineStartsBlank = text.length > 0 && isBlank(text.charCodeAt(0));
  }

  /** Raw text of token i (escapes kept; quotes removed). */
  tokenText(i: number): string {
    return this.text.slice(this.starts[i], this.ends[i]);
  }

  token(i: number): Token {
    return { text: this.tokenText(i), quoted: this.quoted[i]!, line: this.lines[i]! };
  }

  /** Tokens from index `from` on, as objects (for the less common paths of the parser). */
  tokens(from = 0): Token[] {
    const out: Token[] = [];
    for (let i = from; i < this.count; i++) out.push(this.token(i));
    return out;
  }

  /** The current entry as a plain object. */
  entry(): Entry {
    return { line: this.line, blankOwner: this.blankOwner, tokens: this.tokens(), error: this.error === null ? null : { ...this.error } };
  }

  private begin(at: number): void {
    if (this.started) return;
    this.started = true;
    this.line = at;
    this.blankOwner = this.lineStartsBlank;
  }

  private fail(at: number, message: string): void {
    this.begin(at);
    this.error ??= { line: at, message };
  }

  private push(start: number, end: number, quoted: boolean, line: number): void {
    this.begin(line);
    const n = this.count++;
    this.starts[n] = start;
    this.ends[n] = end;
    this.quoted[n] = quoted;
    this.lines[n] = line;
  }

  /** Moves to the next entry; false when the text is exhausted. */
  next(): boolean {
    this.started = false;
    this.count = 0;
    this.error = null;
    const text = this.text;
    const len = text.length;
    let i = this.pos;
    while (i < len) {
      const c = text.charCodeAt(i);
      if (c === LF) {
        this.physicalLine++;
        i++;
        if (!this.inParens) {
          this.lineStartsBlank = i < len && isBlank(text.charCodeAt(i));
          if (this.count > 0 || this.error !== null) {
            this.pos = i;
            return true;
          }
          this.started = false;
        }
        continue;
      }
      if (isBlank(c)) {
        i++;
        continue;
      }
      if (c === SEMICOLON) {
        while (i < len && text.charCodeAt(i) !== LF) i++;
        continue;
      }
      if (c === LPAREN) {
        if (this.inParens) this.fail(this.physicalLine, 'nested "("');
        this.inParens = true;
        this.parenLine = this.physicalLine;
        i++;
        continue;
      }
      if (c === RPAREN) {
        if (!this.inParens) this.fail(this.physicalLine, '")" without "("');
        this.inParens = false;
        i++;
        continue;
      }
      if (c === QUOTE) {
        const startLine = this.physicalLine;
        let j = i + 1;
        let closed = false;
        while (j < len) {
          const d = text.charCodeAt(j);
          if (d === BACKSLASH) {
            if (j + 1 >= len || text.charCodeAt(j + 1) === LF) break;
            j += 2;
            continue;
          }
          if (d === LF) break;
          if (d === QUOTE) {
            closed = true;
            break;
          }
          j++;
        }
        if (!closed) {
          this.fail(startLine, 'unterminated quoted string');
          i = j; // resume at the newline (or end) so line counting stays right
          continue;
        }
        this.push(i + 1, j, true, startLine);
        i = j + 1;
        continue;
      }
      // An unquoted word; a backslash takes the next character literally ("\;", "\(", "\ ").
      let j = i;
      while (j < len) {
        const d = text.charCodeAt(j);
        if (endsWord(d)) break;
        if (d === BACKSLASH) {
          if (j + 1 >= len || text.charCodeAt(j + 1) === LF) {
            this.fail(this.physicalLine, 'backslash at the end of a line');
            j++;
            break;
          }
          j += 2;
        } else {
          j++;
        }
      }
      this.push(i, j, false, this.physicalLine);
      i = j;
    }
    this.pos = i;
    if (this.inParens) {
      this.inParens = false;
      this.fail(this.parenLine, 'unclosed "("');
    }
    return this.count > 0 || this.error !== null;
  }
}

/** Every entry of a text at once (convenient for small texts and tests). */
export function lexZone(text: string): Entry[] {
  const lexer = new ZoneLexer(text);
  const entries: Entry[] = [];
  while (lexer.next()) entries.push(lexer.entry());
  return entries;
}
