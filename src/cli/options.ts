// What every command gets once the command line and the config file are merged (cli/args.ts).
// A module of its own so the commands and the parser depend on it, not on each other.
import type { TransferSettings } from '../xfr/settings.js';
import type { FleetFlagOptions } from './fleet-options.js';
import type { LimitOptions } from './limits.js';
import type { QueryLogFileOptions, ReplayOptions } from './replay-flags.js';
import type { UdpIoMode } from '../transport/udp-io.js';

export interface CliOptions extends LimitOptions, FleetFlagOptions, QueryLogFileOptions {
  readonly zones: string;
  readonly listen: readonly string[];
  readonly geoip: string;
  /** --asn-db: GeoLite2-ASN database for asn_pools and `asn` rule conditions; undefined → none. */
  readonly asnDb: string | undefined;
  readonly logLevel: string;
  readonly client: string | undefined;
  /** "ADDR:PORT" or "off". */
  readonly http: string;
  /** --http-token, else the http_token_file's contents, else STEERDNS_HTTP_TOKEN. */
  readonly httpToken: string | undefined;
  readonly queryLog: boolean;
  readonly queryLogSample: number;
  /** serve: worker processes (1: no cluster, one process does everything). */
  readonly workers: number;
  /** Who answers, for NSID and CHAOS id.server./hostname.bind. (default: the host name). */
  readonly identity: string;
  /** CHAOS version.server./version.bind.; null (the default): refused. */
  readonly versionString: string | null;
  /** DNS Cookies (RFC 7873) on (the default) or off. */
  readonly cookies: boolean;
  /** The secrets of --cookie-secret-file, hex, current first; null: none given (serve generates one). */
  readonly cookieSecrets: readonly string[] | null;
  /** The config file's `transfer:` block (zone transfers to secondaries); null: none offered. */
  readonly transfer: TransferSettings | null;
  /** DNSSEC keys directory (one subdirectory per zone); undefined: no zone is signed. */
  readonly keys: string | undefined;
  /** Most RRsets whose DNSSEC signatures are kept. */
  readonly signatureCache: number;
  /** Most UDP replies the packet cache keeps; 0: no packet cache. */
  readonly packetCache: number;
  /** keygen: 13 (ECDSAP256SHA256, the default) or 15 (ED25519). */
  readonly algorithm: string | undefined;
  /** keygen: a key-signing key (SEP flag; also what a lone key, a CSK, is). */
  readonly ksk: boolean;
  /** keygen: a zone-signing key (no SEP flag), for a KSK+ZSK split. */
  readonly zsk: boolean;
  /** serve: UDP I/O path (auto: the batched addon when it loaded, else node:dgram). */
  readonly udpIo: UdpIoMode;
  /** serve: SO_SNDBUF asked for on every UDP socket, in bytes. */
  readonly udpSendBuffer: number;
  /** serve: --state-dir, where operator overrides survive a restart; null: kept in memory only. */
  readonly stateDir: string | null;
  /** serve: --audit-log, the overrides audit log; null: audit.log under the state dir, else none. */
  readonly auditLog: string | null;
  /** whatif / scenarios: what to replay and how to report it. */
  readonly replay: ReplayOptions;
  readonly positionals: readonly string[];
}
