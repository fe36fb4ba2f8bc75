// A minimal MaxMind DB (format 2.0) writer, so tests can build small GeoIP databases of their own
// instead of depending on a vendor file's contents. Written from the public format spec
// (maxmind.github.io/MaxMind-DB): a binary search tree over address bits, 16 NUL bytes, the data
// section, then "\xAB\xCD\xEFMaxMind.com" and the metadata map.
//
// Layout choices (documented as the spec asks database creators to do):
// - ip_version 6 (default): IPv4 networks live at ::/96 (the first 2^32 addresses), and
//   ::ffff:0:0/96 points at the same subtree so IPv4-mapped addresses find them too, as MaxMind's
//   own databases do. A network the caller places inside ::ffff:0:0/96 is replaced by the alias.
// - ip_version 4: a 32-level tree; IPv6 networks are rejected.
// - Identical values (whole records, strings, maps, arrays) are stored once; later occurrences
//   become data-section pointers when that is shorter.
// - More specific networks override less specific ones regardless of input order.
import { isIPv4, isIPv6 } from 'node:net';
import { ipv4Bytes, ipv6Bytes } from '../../src/wire/rdata.js';

/** Numbers whose storage type must be explicit (a JS number alone cannot say uint16 vs double). */
export class MmdbTyped {
  constructor(
    readonly type: 'double' | 'float' | 'uint16' | 'uint32' | 'int32' | 'uint64' | 'uint128',
    readonly value: number | bigint,
  ) {}
}

export const mmdbDouble = (v: number): MmdbTyped => new MmdbTyped('double', v);
export const mmdbFloat = (v: number): MmdbTyped => new MmdbTyped('float', v);
export const mmdbUint16 = (v: number): MmdbTyped => new MmdbTyped('uint16', v);
export const mmdbUint32 = (v: number): MmdbTyped => new MmdbTyped('uint32', v);
export const mmdbInt32 = (v: number): MmdbTyped => new MmdbTyped('int32', v);
export const mmdbUint64 = (v: number | bigint): MmdbTyped => new MmdbTyped('uint64', v);
export const mmdbUint128 = (v: number | bigint): MmdbTyped => new MmdbTyped('uint128', v);

/**
 * A value for the data section. Plain numbers: non-negative integers below 2^32 are uint32,
 * negative integers down to -2^31 are int32, anything else is a double; wrap with the mmdb*
 * helpers to choose. Uint8Array is the bytes type; plain objects are maps.
 */
export type MmdbValue = string | number | boolean | Uint8Array | MmdbTyped | readonly MmdbValue[] | { readonly [key: string]: MmdbValue };

export interface MmdbNetwork {
  /** CIDR, e.g. "192.0.2.0/24" or "2001:db8::/32". Host bits must be zero. */
  readonly network: string;
  readonly data: MmdbValue;
}

/** Metadata; keys named as in the spec. */
export interface MmdbMetadata {
  readonly database_type: string;
  readonly languages?: readonly string[];
  readonly description?: Readonly<Record<string, string>>;
  /** Default 6. */
  readonly ip_version?: 4 | 6;
  /** Bits per search-tree record; default 28. */
  readonly record_size?: 24 | 28 | 32;
  /** Seconds since the epoch; default now. */
  readonly build_epoch?: number;
}

export const MMDB_METADATA_MARKER = Buffer.from([0xab, 0xcd, 0xef, ...Buffer.from('MaxMind.com', 'ascii')]);
const DATA_SECTION_SEPARATOR = 16;

// ---------------------------------------------------------------------------------------------
// Search tree
// ---------------------------------------------------------------------------------------------

interface TreeNode {
  left: Slot;
  right: Slot;
}
/** What a record points at: a node, a data record (by its value), or nothing. */
type Slot = TreeNode | { readonly data: MmdbValue } | null;

function isNode(slot: Slot): slot is TreeNode {
  return slot !== null && 'left' in slot;
}

interface ParsedNetwork {
  readonly bits: Uint8Array;
  readonly prefix: number;
  readonly data: MmdbValue;
}

/** The network as tree bits: IPv4 goes to ::/96 in a v6 tree (prefix + 96). */
function parseNetwork(cidr: string, ipVersion: 4 | 6): Omit<ParsedNetwork, 'data'> {
  const slash = cidr.indexOf('/');
  if (slash < 0) throw new Error(`network without a prefix length: ${cidr}`);
  const addr = cidr.slice(0, slash);
  const lenText = cidr.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) throw new Error(`bad prefix length in ${cidr}`);
  const len = Number(lenText);
  let bits: Uint8Array;
  let prefix: number;
  if (isIPv4(addr)) {
    if (len > 32) throw new Error(`prefix length over 32 in ${cidr}`);
    if (ipVersion === 4) {
      bits = ipv4Bytes(addr);
      prefix = len;
    } else {
      bits = new Uint8Array(16);
      bits.set(ipv4Bytes(addr), 12);
      prefix = len + 96;
    }
  } else if (isIPv6(addr)) {
    if (ipVersion === 4) throw new Error(`IPv6 network ${cidr} in an ip_version 4 database`);
    if (len > 128) throw new Error(`prefix length over 128 in ${cidr}`);
    bits = ipv6Bytes(addr);
    prefix = len;
  } else {
    throw new Error(`not an IP network: ${cidr}`);
  }
  for (let i = prefix; i < bits.length * 8; i++) {
    if (bitAt(bits, i)) throw new Error(`host bits set in ${cidr}`);
  }
  return { bits, prefix };
}

function bitAt(bytes: Uint8Array, i: number): number {
  return (bytes[i >> 3]! >> (7 - (i & 7))) & 1;
}

/** Replaces the subtree at `prefix` bits along `bits` with `value`, splitting leaves on the way. */
function insert(slot: Slot, bits: Uint8Array, prefix: number, depth: number, value: Slot): Slot {
  if (depth === prefix) return value;
  // A leaf (data or empty) above the target covers both halves until something overrides one.
  const node: TreeNode = isNode(slot) ? slot : { left: slot, right: slot };
  if (bitAt(bits, depth)) node.right = insert(node.right, bits, prefix, depth + 1, value);
  else node.left = insert(node.left, bits, prefix, depth + 1, value);
  return node;
}

/** The slot at `prefix` bits along `bits`, or the leaf that covers it. */
function slotAt(root: Slot, bits: Uint8Array, prefix: number): Slot {
  let slot = root;
  for (let depth = 0; depth < prefix && isNode(slot); depth++) {
    slot = bitAt(bits, depth) ? slot.right : slot.left;
  }
  return slot;
}

function buildTree(networks: readonly ParsedNetwork[], ipVersion: 4 | 6): TreeNode {
  // Least specific first, so a more specific network always overrides a covering one. The sort
  // is stable, so among equal networks the last one listed wins.
  const ordered = [...networks].sort((a, b) => a.prefix - b.prefix);
  let root: Slot = null;
  for (const n of ordered) root = insert(root, n.bits, n.prefix, 0, { data: n.data });
  if (ipVersion === 6) {
    const v4 = slotAt(root, new Uint8Array(16), 96);
    if (v4 !== null) {
      const mapped = new Uint8Array(16);
      mapped[10] = 0xff;
      mapped[11] = 0xff;
      root = insert(root, mapped, 96, 0, v4);
    }
  }
  // The tree needs a root node even when it holds nothing (or one network covering everything).
  return isNode(root) ? root : { left: root, right: root };
}

/** Breadth-first node numbering; a node reached twice (the IPv4 alias) keeps one number. */
function numberNodes(root: TreeNode): TreeNode[] {
  const order: TreeNode[] = [];
  const seen = new Set<TreeNode>();
  const queue: TreeNode[] = [root];
  seen.add(root);
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]!;
    order.push(node);
    for (const child of [node.left, node.right]) {
      if (isNode(child) && !seen.has(child)) {
        seen.add(child);
        queue.push(child);
      }
    }
  }
  return order;
}

// ---------------------------------------------------------------------------------------------
// Data section encoding
// ---------------------------------------------------------------------------------------------

const T = {
  pointer: 1,
  utf8: 2,
  double: 3,
  bytes: 4,
  uint16: 5,
  uint32: 6,
  map: 7,
  int32: 8,
  uint64: 9,
  uint128: 10,
  array: 11,
  boolean: 14,
  float: 15,
} as const;

/** Control byte(s) for a type and a payload size (or entry count for maps and arrays). */
function controlBytes(type: number, size: number): number[] {
  let sizeBits: number;
  let extra: number[];
  if (size < 29) {
    sizeBits = size;
    extra = [];
  } else if (size < 29 + 256) {
    sizeBits = 29;
    extra = [size - 29];
  } else if (size < 285 + 65536) {
    sizeBits = 30;
    const v = size - 285;
    extra = [v >> 8, v & 0xff];
  } else if (size <= 16_843_036) {
    sizeBits = 31;
    const v = size - 65821;
    extra = [(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
  } else {
    throw new Error(`data field of ${size} is larger than the format allows`);
  }
  const head = type <= 7 ? [(type << 5) | sizeBits] : [sizeBits, type - 7];
  return [...head, ...extra];
}

function pointerBytes(offset: number): number[] {
  if (offset < 2048) return [0x20 | (offset >> 8), offset & 0xff];
  if (offset < 526_336) {
    const v = offset - 2048;
    return [0x28 | (v >> 16), (v >> 8) & 0xff, v & 0xff];
  }
  if (offset < 526_336 + 2 ** 27) {
    const v = offset - 526_336;
    return [0x30 | Math.floor(v / 2 ** 24), (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
  }
  if (offset > 0xffff_ffff) throw new Error('data section larger than 4 GiB');
  return [0x38, (offset >>> 24) & 0xff, (offset >> 16) & 0xff, (offset >> 8) & 0xff, offset & 0xff];
}

/** Big-endian bytes of an unsigned integer without leading zeros (zero is no bytes). */
function uintBytes(v: number | bigint, maxBytes: number, what: string): number[] {
  let n = BigInt(v);
  if (n < 0n || n >= 1n << BigInt(maxBytes * 8)) throw new Error(`${what} out of range: ${v}`);
  const out: number[] = [];
  while (n > 0n) {
    out.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  return out;
}

function floatBytes(v: number, size: 4 | 8): number[] {
  const b = Buffer.alloc(size);
  if (size === 8) b.writeDoubleBE(v);
  else b.writeFloatBE(v);
  return [...b];
}

function typedBytes(v: MmdbTyped): number[] {
  const num = (): number => {
    if (typeof v.value !== 'number') throw new Error(`${v.type} needs a number`);
    return v.value;
  };
  switch (v.type) {
    case 'double':
      return [...controlBytes(T.double, 8), ...floatBytes(num(), 8)];
    case 'float':
      return [...controlBytes(T.float, 4), ...floatBytes(num(), 4)];
    case 'uint16':
    case 'uint32':
    case 'uint64':
    case 'uint128': {
      const width = { uint16: 2, uint32: 4, uint64: 8, uint128: 16 }[v.type];
      if (typeof v.value === 'number' && !Number.isSafeInteger(v.value)) throw new Error(`${v.type} needs an integer: ${v.value}`);
      const payload = uintBytes(v.value, width, v.type);
      return [...controlBytes(T[v.type], payload.length), ...payload];
    }
    case 'int32': {
      const n = num();
      if (!Number.isInteger(n) || n < -(2 ** 31) || n >= 2 ** 31) throw new Error(`int32 out of range: ${n}`);
      const b = Buffer.alloc(4);
      b.writeInt32BE(n);
      return [...controlBytes(T.int32, 4), ...b];
    }
  }
}

function plainNumber(v: number): MmdbTyped {
  if (Number.isInteger(v) && v >= 0 && v < 2 ** 32) return mmdbUint32(v);
  if (Number.isInteger(v) && v < 0 && v >= -(2 ** 31)) return mmdbInt32(v);
  return mmdbDouble(v);
}

/** The value's encoding with no pointers: its identity for deduplication. */
function standalone(v: MmdbValue): number[] {
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    return [...controlBytes(T.utf8, b.length), ...b];
  }
  if (typeof v === 'number') return typedBytes(plainNumber(v));
  if (typeof v === 'boolean') return controlBytes(T.boolean, v ? 1 : 0);
  if (v instanceof MmdbTyped) return typedBytes(v);
  if (v instanceof Uint8Array) return [...controlBytes(T.bytes, v.length), ...v];
  if (Array.isArray(v)) {
    const items = v as readonly MmdbValue[];
    return [...controlBytes(T.array, items.length), ...items.flatMap(standalone)];
  }
  const entries = Object.entries(v as { readonly [key: string]: MmdbValue });
  return [...controlBytes(T.map, entries.length), ...entries.flatMap(([k, x]) => [...standalone(k), ...standalone(x)])];
}

class DataSection {
  private readonly bytes: number[] = [];
  /** Standalone encoding (as a latin1 string) → offset where that value was first written. */
  private readonly seen = new Map<string, number>();

  get length(): number {
    return this.bytes.length;
  }

  toBuffer(): Buffer {
    return Buffer.from(this.bytes);
  }

  /** Offset of a whole record, written once however many networks share it. */
  record(v: MmdbValue): number {
    const key = Buffer.from(standalone(v)).toString('latin1');
    const known = this.seen.get(key);
    if (known !== undefined) return known;
    return this.write(v, key);
  }

  /** Writes v (or a pointer to an identical earlier value, when shorter). */
  private value(v: MmdbValue): void {
    const enc = standalone(v);
    const key = Buffer.from(enc).toString('latin1');
    const known = this.seen.get(key);
    if (known !== undefined) {
      const ptr = pointerBytes(known);
      if (ptr.length < enc.length) {
        this.push(ptr);
        return;
      }
    }
    this.write(v, key);
  }

  private write(v: MmdbValue, key: string): number {
    const offset = this.bytes.length;
    if (Array.isArray(v)) {
      const items = v as readonly MmdbValue[];
      this.push(controlBytes(T.array, items.length));
      for (const item of items) this.value(item);
    } else if (typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof MmdbTyped)) {
      const entries = Object.entries(v as { readonly [key: string]: MmdbValue });
      this.push(controlBytes(T.map, entries.length));
      for (const [k, x] of entries) {
        this.value(k);
        this.value(x);
      }
    } else {
      this.push(standalone(v));
    }
    if (!this.seen.has(key)) this.seen.set(key, offset);
    return offset;
  }

  private push(b: readonly number[]): void {
    for (const x of b) this.bytes.push(x);
  }
}

// ---------------------------------------------------------------------------------------------
// File assembly
// ---------------------------------------------------------------------------------------------

function writeRecord(out: Buffer, nodeOffset: number, recordSize: 24 | 28 | 32, left: number, right: number): void {
  switch (recordSize) {
    case 24:
      out.writeUIntBE(left, nodeOffset, 3);
      out.writeUIntBE(right, nodeOffset + 3, 3);
      return;
    case 28:
      // | left 23..0 | left 27..24, right 27..24 | right 23..0 |
      out.writeUIntBE(left & 0xff_ffff, nodeOffset, 3);
      out[nodeOffset + 3] = (((left >>> 24) & 0x0f) << 4) | ((right >>> 24) & 0x0f);
      out.writeUIntBE(right & 0xff_ffff, nodeOffset + 4, 3);
      return;
    case 32:
      out.writeUInt32BE(left, nodeOffset);
      out.writeUInt32BE(right, nodeOffset + 4);
      return;
  }
}

/** Builds a complete .mmdb file in memory. */
export function writeMmdb(metadata: MmdbMetadata, networks: readonly MmdbNetwork[]): Buffer {
  const ipVersion = metadata.ip_version ?? 6;
  const recordSize = metadata.record_size ?? 28;
  const parsed = networks.map((n) => ({ ...parseNetwork(n.network, ipVersion), data: n.data }));
  const root = buildTree(parsed, ipVersion);
  const nodes = numberNodes(root);
  const nodeCount = nodes.length;
  const numbers = new Map<TreeNode, number>(nodes.map((n, i) => [n, i]));

  const data = new DataSection();
  const recordValue = (slot: Slot): number => {
    if (slot === null) return nodeCount;
    if (isNode(slot)) return numbers.get(slot)!;
    return nodeCount + DATA_SECTION_SEPARATOR + data.record(slot.data);
  };
  const records = nodes.map((n) => [recordValue(n.left), recordValue(n.right)] as const);
  const maxRecord = 2 ** recordSize - 1;
  if (nodeCount + DATA_SECTION_SEPARATOR + data.length > maxRecord) {
    throw new Error(`database too large for ${recordSize}-bit records`);
  }

  const nodeBytes = recordSize / 4;
  const tree = Buffer.alloc(nodeCount * nodeBytes);
  for (const [i, [l, r]] of records.entries()) writeRecord(tree, i * nodeBytes, recordSize, l, r);

  const meta: Record<string, MmdbValue> = {
    node_count: mmdbUint32(nodeCount),
    record_size: mmdbUint16(recordSize),
    ip_version: mmdbUint16(ipVersion),
    database_type: metadata.database_type,
    languages: [...(metadata.languages ?? [])],
    binary_format_major_version: mmdbUint16(2),
    binary_format_minor_version: mmdbUint16(0),
    build_epoch: mmdbUint64(metadata.build_epoch ?? Math.floor(Date.now() / 1000)),
    description: { ...(metadata.description ?? {}) },
  };
  // Metadata is decoded from its own start, so it is written without pointers.
  const metaBytes = Buffer.from(standalone(meta));

  return Buffer.concat([tree, Buffer.alloc(DATA_SECTION_SEPARATOR), data.toBuffer(), MMDB_METADATA_MARKER, metaBytes]);
}
