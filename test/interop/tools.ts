// Interop suites drive real third-party binaries (dig, kdig, knotd...). On a developer machine a
// missing tool skips the suite with a visible warning; in CI (STEERDNS_REQUIRE_INTEROP=1, set by
// .ci/run) it fails the suite, so a broken CI image cannot pass by silently skipping.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** The Debian package that ships each tool, for the install hint. */
const DEBIAN_PACKAGE: Readonly<Record<string, string>> = {
  dig: 'bind9-dnsutils',
  kdig: 'knot-dnsutils',
  knotd: 'knot',
  knotc: 'knot',
  unbound: 'unbound',
  'unbound-control': 'unbound',
  nsd: 'nsd',
  'nsd-control': 'nsd',
  delv: 'bind9-dnsutils',
  'dnssec-keygen': 'bind9-utils',
  'dnssec-signzone': 'bind9-utils',
  'dnssec-verify': 'bind9-utils',
  'ldns-keygen': 'ldnsutils',
  'ldns-signzone': 'ldnsutils',
  'ldns-verify-zone': 'ldnsutils',
  etcd: 'etcd-server',
  etcdctl: 'etcd-client',
  gdnsd: 'gdnsd',
  dnsperf: 'dnsperf',
  mmdblookup: 'mmdb-bin',
  cc: 'gcc',
  ip: 'iproute2',
  tc: 'iproute2',
};

// sbin directories are searched too: knotd and nsd live there and a non-root PATH often lacks them.
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** Absolute path of an executable named `name`, or null. */
export function findTool(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return null;
}

export function interopRequired(): boolean {
  return process.env.STEERDNS_REQUIRE_INTEROP === '1';
}

export function installHint(names: readonly string[]): string {
  const packages = [...new Set(names.map((n) => DEBIAN_PACKAGE[n] ?? n))];
  return `apt-get install ${packages.join(' ')}`;
}

/**
 * Path of the binary `name`. Missing: throws when interop is required (the suite file fails with
 * this message), otherwise warns and returns null so the caller can `describe.skipIf(...)`.
 */
export function requireTool(name: string, suite = 'interop'): string | null {
  return requireTools([name], suite)?.[name] ?? null;
}

/** All of `names` as a name → path map, or null (after one warning) when any is missing. */
export function requireTools<N extends string>(names: readonly N[], suite = 'interop'): Record<N, string> | null {
  const found = {} as Record<N, string>;
  const missing: N[] = [];
  for (const name of names) {
    const where = findTool(name);
    if (where) found[name] = where;
    else missing.push(name);
  }
  if (missing.length === 0) return found;
  const message =
    `${suite}: missing ${missing.join(', ')} (not on PATH or in ${EXTRA_DIRS.join(', ')}). ` + `Install with: ${installHint(missing)}`;
  if (interopRequired()) {
    throw new Error(`${message}. STEERDNS_REQUIRE_INTEROP=1, so this suite fails instead of skipping.`);
  }
  console.warn(`[skipped] ${message}. (Set STEERDNS_REQUIRE_INTEROP=1 to make this a failure.)`);
  return null;
}
