// Maps a key path (as zod and the semantic checks report it) back to a line of the YAML
// source, so every error names the line the operator has to edit.
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export class YamlLocator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /**
   * Line (1-based) of the node at `path`. For a mapping entry this is the line of its key. When
   * the path goes further than the document (a missing required key), the line of the deepest
   * node that exists (the parent key). `childKey` names a key inside the node at `path` to point
   * at instead (used for unknown keys).
   */
  lineOf(path: readonly PropertyKey[], childKey?: string): number {
    let node: unknown = this.doc.contents;
    let offset = rangeStart(node) ?? 0;
    const steps: PropertyKey[] = childKey === undefined ? [...path] : [...path, childKey];
    for (const step of steps) {
      if (isAlias(node)) node = node.resolve(this.doc);
      if (isMap(node)) {
        const pair = node.items.find((p) => keyText(p.key) === String(step));
        if (!pair) break;
        offset = rangeStart(pair.key) ?? rangeStart(pair.value) ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof step === 'number') {
        const item: unknown = node.items[step];
        if (item === undefined) break;
        offset = rangeStart(item) ?? offset;
        node = item;
      } else {
        break;
      }
    }
    return this.lines.linePos(offset).line;
  }
}

function keyText(key: unknown): string | null {
  if (isScalar(key)) return String(key.value);
  return key === null || key === undefined ? null : String(key);
}

function rangeStart(node: unknown): number | undefined {
  if (node && typeof node === 'object' && 'range' in node) {
    const range = (node as Node).range;
    return range ? range[0] : undefined;
  }
  return undefined;
}

/** "pools.us-east.origins[0].address"; keys that are not plain words are quoted in brackets. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const step of path) {
    if (typeof step === 'number') out += `[${step}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(String(step))) out += out === '' ? String(step) : `.${String(step)}`;
    else out += `[${JSON.stringify(String(step))}]`;
  }
  return out === '' ? '(top level)' : out;
}
