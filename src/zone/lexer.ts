// RFC 1035 §5.1 master-file tokenizer: splits text into entries (one logical line each, with
// parentheses joining physical lines), drops comments, and keeps every token's raw text with its
// escapes intact — names and strings decode escapes differently, so decoding is left to them.

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

interface MutableEntry {
  line: number;
  blankOwner: boolean;
  tokens: Token[];
  error: { line: number; message: string } | null;
}

function isBlank(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r';
}

/** Characters that end an unquoted token. */
function endsWord(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === ';' || c === '(' || c === ')' || c === '"';
}

export function lexZone(text: string): Entry[] {
  const entries: Entry[] = [];
  let line = 1;
  let inParens = false;
  let parenLine = 0;
  let current: MutableEntry | null = null;
  let lineStartsBlank = isBlank(text[0] ?? '');

  const fail = (at: number, message: string): void => {
    if (current === null) current = { line: at, blankOwner: lineStartsBlank, tokens: [], error: null };
    current.error ??= { line: at, message };
  };
  const push = (token: Token): void => {
    if (current === null) current = { line: token.line, blankOwner: lineStartsBlank, tokens: [], error: null };
    current.tokens.push(token);
  };
  const finish = (): void => {
    if (current !== null && (current.tokens.length > 0 || current.error !== null)) entries.push(current);
    current = null;
  };

  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
      if (!inParens) {
        finish();
        lineStartsBlank = isBlank(text[i] ?? '');
      }
      continue;
    }
    if (isBlank(c)) {
      i++;
      continue;
    }
    if (c === ';') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '(') {
      if (inParens) fail(line, 'nested "("');
      inParens = true;
      parenLine = line;
      i++;
      continue;
    }
    if (c === ')') {
      if (!inParens) fail(line, '")" without "("');
      inParens = false;
      i++;
      continue;
    }
    if (c === '"') {
      const startLine = line;
      let j = i + 1;
      let closed = false;
      while (j < text.length) {
        const d = text[j]!;
        if (d === '\\') {
          if (text[j + 1] === '\n' || j + 1 >= text.length) break;
          j += 2;
          continue;
        }
        if (d === '\n') break;
        if (d === '"') {
          closed = true;
          break;
        }
        j++;
      }
      if (!closed) {
        fail(startLine, 'unterminated quoted string');
        i = j; // resume at the newline (or end) so line counting stays right
        continue;
      }
      push({ text: text.slice(i + 1, j), quoted: true, line: startLine });
      i = j + 1;
      continue;
    }
    // An unquoted word; a backslash takes the next character literally ("\;", "\(", "\ ").
    let j = i;
    while (j < text.length && !endsWord(text[j]!)) {
      if (text[j] === '\\') {
        if (j + 1 >= text.length || text[j + 1] === '\n') {
          fail(line, 'backslash at the end of a line');
          j++;
          break;
        }
        j += 2;
      } else {
        j++;
      }
    }
    push({ text: text.slice(i, j), quoted: false, line });
    i = j;
  }
  if (inParens) fail(parenLine, 'unclosed "("');
  finish();
  return entries;
}
