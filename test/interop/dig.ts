// Runs dig (or kdig) and parses its presentation output into a structure the interop tests
// compare. Parsing dig's text, not the wire, is the point: the suite checks what an operator
// sees with the standard tool, through a decoder we did not write.
import { execFile } from 'node:child_process';

export interface DigRecord {
  /** Owner, lowercased (DNS names compare case-insensitively). */
  readonly owner: string;
  readonly ttl: number;
  readonly class: string;
  readonly type: string;
  /** RDATA as dig prints it; lowercased for types whose RDATA is mostly domain names. */
  readonly rdata: string;
}

export interface DigOpt {
  readonly version: number;
  /** EDNS flags dig lists after "flags:" (e.g. ["do"]). */
  readonly flags: readonly string[];
  readonly udp: number;
  /** The CLIENT-SUBNET line's value, e.g. "192.0.2.0/24/0". */
  readonly clientSubnet: string | null;
  /** Every "; NAME: value" line of the pseudo-section after the EDNS line. */
  readonly options: readonly string[];
}

export interface DigReply {
  readonly opcode: string;
  readonly status: string;
  readonly id: number;
  /** Header flags: qr aa tc rd ra ad cd. */
  readonly flags: ReadonlySet<string>;
  /** Question lines exactly as printed (letter case kept). */
  readonly question: readonly string[];
  readonly answer: readonly DigRecord[];
  readonly authority: readonly DigRecord[];
  readonly additional: readonly DigRecord[];
  readonly opt: DigOpt | null;
  /** "UDP" or "TCP", from the ";; SERVER:" line. */
  readonly transport: string | null;
  readonly text: string;
}

// Types whose RDATA holds domain names that a server may print in the query's letter case
// (through compression pointers into the question).
const NAME_RDATA_TYPES = new Set(['CNAME', 'DNAME', 'NS', 'PTR', 'MX', 'SRV', 'SOA']);

type SectionName = 'question' | 'answer' | 'authority' | 'additional' | 'opt' | null;
const SECTION_HEADERS: Readonly<Record<string, SectionName>> = {
  ';; QUESTION SECTION:': 'question',
  ';; ANSWER SECTION:': 'answer',
  ';; AUTHORITY SECTION:': 'authority',
  ';; ADDITIONAL SECTION:': 'additional',
  ';; OPT PSEUDOSECTION:': 'opt',
};

export function parseRecord(line: string): DigRecord {
  const m = /^(\S+)\s+(\d+)\s+(\S+)\s+(\S+)\s*(.*)$/.exec(line.trim());
  if (!m) throw new Error(`cannot parse dig record line: ${JSON.stringify(line)}`);
  const [, owner, ttl, cls, type, rdata] = m as unknown as [string, string, string, string, string, string];
  const upperType = type.toUpperCase();
  const cleanRdata = rdata.trim();
  return {
    owner: owner.toLowerCase(),
    ttl: Number(ttl),
    class: cls.toUpperCase(),
    type: upperType,
    rdata: NAME_RDATA_TYPES.has(upperType) ? cleanRdata.toLowerCase() : cleanRdata,
  };
}

export function parseDig(text: string): DigReply {
  let opcode = '';
  let status = '';
  let id = -1;
  let flags = new Set<string>();
  let transport: string | null = null;
  const question: string[] = [];
  const answer: DigRecord[] = [];
  const authority: DigRecord[] = [];
  const additional: DigRecord[] = [];
  let opt: { version: number; flags: string[]; udp: number; clientSubnet: string | null; options: string[] } | null = null;
  let section: SectionName = null;

  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+$/, '');
    if (line === '') {
      section = null;
      continue;
    }
    const header = /^;; ->>HEADER<<- opcode: (\w+), status: (\w+), id: (\d+)/.exec(line);
    if (header) {
      opcode = header[1]!;
      status = header[2]!;
      id = Number(header[3]);
      continue;
    }
    const flagLine = /^;; flags:([^;]*);/.exec(line);
    if (flagLine) {
      flags = new Set(flagLine[1]!.trim().split(/\s+/).filter(Boolean));
      continue;
    }
    const server = /^;; SERVER: .*\((UDP|TCP)\)/.exec(line);
    if (server) {
      transport = server[1]!;
      continue;
    }
    if (line in SECTION_HEADERS) {
      section = SECTION_HEADERS[line] ?? null;
      continue;
    }
    switch (section) {
      case 'question':
        question.push(line.replace(/^;/, '').split(/\s+/).join(' '));
        break;
      case 'answer':
        answer.push(parseRecord(line));
        break;
      case 'authority':
        authority.push(parseRecord(line));
        break;
      case 'additional':
        additional.push(parseRecord(line));
        break;
      case 'opt': {
        const edns = /^; EDNS: version: (\d+), flags:([^;]*); udp: (\d+)/.exec(line);
        if (edns) {
          opt = {
            version: Number(edns[1]),
            flags: edns[2]!.trim().split(/\s+/).filter(Boolean),
            udp: Number(edns[3]),
            clientSubnet: null,
            options: [],
          };
        } else if (opt) {
          const option = line.replace(/^;\s*/, '');
          opt.options.push(option);
          const ecs = /^CLIENT-SUBNET: (\S+)/.exec(option);
          if (ecs) opt.clientSubnet = ecs[1]!;
        }
        break;
      }
      default:
        break;
    }
  }
  if (id < 0) throw new Error(`dig printed no reply header:\n${text}`);
  return { opcode, status, id, flags, question, answer, authority, additional, opt, transport, text };
}

/** `dig @host -p port <args>`; rejects when dig gets no reply (exit code 9) or fails otherwise. */
export function dig(binary: string, host: string, port: number, args: readonly string[], timeoutMs = 10_000): Promise<DigReply> {
  const argv = [`@${host}`, '-p', String(port), '+time=2', '+tries=1', ...args];
  return new Promise((resolve, reject) => {
    execFile(binary, argv, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`${commandLine(binary, argv)} failed (${err.message.split('\n')[0]}):\n${stdout}${stderr}`));
        return;
      }
      try {
        resolve(parseDig(stdout));
      } catch (parseErr) {
        reject(new Error(`${commandLine(binary, argv)}: ${(parseErr as Error).message}`));
      }
    });
  });
}

export function commandLine(binary: string, argv: readonly string[]): string {
  return [binary.split('/').pop(), ...argv].join(' ');
}

/**
 * A section as a sorted list of RRsets, one string per RRset: "owner class type | ttl rdata; ...".
 * Order of records inside a section and inside an RRset does not matter; TTLs do.
 */
export function rrsets(records: readonly DigRecord[]): string[] {
  const groups = new Map<string, string[]>();
  for (const r of records) {
    if (r.type === 'OPT') continue;
    const key = `${r.owner} ${r.class} ${r.type}`;
    let list = groups.get(key);
    if (!list) {
      list = [];
      groups.set(key, list);
    }
    list.push(`${r.ttl} ${r.rdata}`);
  }
  return [...groups].map(([key, list]) => `${key} | ${list.sort().join('; ')}`).sort();
}

/** What two authoritative servers must agree on for the same zones and query. */
export interface Comparable {
  readonly status: string;
  readonly aa: boolean;
  readonly tc: boolean;
  readonly question: readonly string[];
  readonly answer: readonly string[];
  readonly authority: readonly string[];
  readonly additional: readonly string[];
  readonly optPresent: boolean;
  readonly ednsVersion: number | null;
  readonly ednsFlags: readonly string[];
  readonly clientSubnet: string | null;
}

export function comparable(r: DigReply): Comparable {
  return {
    status: r.status,
    aa: r.flags.has('aa'),
    tc: r.flags.has('tc'),
    question: r.question,
    answer: rrsets(r.answer),
    authority: rrsets(r.authority),
    additional: rrsets(r.additional),
    optPresent: r.opt !== null,
    ednsVersion: r.opt?.version ?? null,
    ednsFlags: r.opt ? [...r.opt.flags].sort() : [],
    clientSubnet: r.opt?.clientSubnet ?? null,
  };
}
