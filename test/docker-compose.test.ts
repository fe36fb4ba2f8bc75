// The Docker deliverables, checked without a Docker engine (none runs on CI or dev machines):
//   - the Dockerfile, read statically (base image, user, ports, healthcheck, entrypoint);
//   - the image's command, run with the compiled CLI on loopback: its flags parse, DNS and HTTP
//     come up with the compose demo's token, and the HEALTHCHECK one-liner passes (and fails once
//     the server is gone);
//   - docker-compose.yml through `docker-compose config`, with its fixed addresses cross-checked
//     against the demo zones and docker/unbound.conf;
//   - the demo topology itself: docker/zones and docker/demo-backend.mjs, each backend on a
//     loopback address instead of its compose address, giving the answers docs/deploy.md promises.
// Nothing here sends a packet to a non-loopback address: the compose addresses are only read.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { defaultGeoIpPath } from '../src/geo/service.js';
import { findTool, requireTool } from './interop/tools.js';
import { unboundConfig } from './interop/unbound.js';
import { distDir, repoRoot } from './support/build.js';
import { buildQuery, decode, udpExchange, type DecodedReply } from './support/dns-client.js';
import { startTestServer, type TestServer } from './support/server.js';
import { eventually } from './support/eventually.js';

const read = (file: string): string => fs.readFileSync(path.join(repoRoot, file), 'utf8');

// ---------------------------------------------------------------------------------------------
// Dockerfile, read the way Docker reads it: continuation lines joined, comments dropped.

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (pending !== '' && line.startsWith('#')) continue; // comments inside a continuation
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    const m = /^(\S+)\s*(.*)$/.exec(full);
    if (m) out.push({ keyword: m[1]!.toUpperCase(), args: m[2]! });
  }
  return out;
}

/** Instructions grouped by build stage (each FROM starts one). */
function stages(instructions: readonly Instruction[]): Instruction[][] {
  const out: Instruction[][] = [];
  for (const i of instructions) {
    if (i.keyword === 'FROM') out.push([]);
    out.at(-1)?.push(i);
  }
  return out;
}

/** An exec-form argument list: `["a", "b"]`. */
function execForm(args: string): string[] {
  const list = JSON.parse(args) as unknown;
  if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) throw new Error(`not an exec-form list: ${args}`);
  return list as string[];
}

const dockerfile = parseDockerfile(read('Dockerfile'));
const argDefaults = new Map(
  dockerfile
    .filter((i) => i.keyword === 'ARG' && i.args.includes('='))
    .map((i) => [i.args.slice(0, i.args.indexOf('=')), i.args.slice(i.args.indexOf('=') + 1)] as const),
);
const substitute = (text: string): string =>
  text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a?: string, b?: string) => argDefaults.get((a ?? b)!) ?? '');
const finalStage = stages(dockerfile).at(-1)!;
const only = (stage: readonly Instruction[], keyword: string): Instruction[] => stage.filter((i) => i.keyword === keyword);
const imageCommand = execForm(only(finalStage, 'CMD').at(-1)!.args);
const imageEntrypoint = execForm(only(finalStage, 'ENTRYPOINT').at(-1)!.args);
const healthcheck = only(finalStage, 'HEALTHCHECK').at(-1)!.args;
const healthcheckCommand = execForm(healthcheck.slice(healthcheck.indexOf('CMD ') + 4));

/** The value after `flag` in the image's CMD (the last one for repeatable flags: all of them). */
const cmdValues = (flag: string): string[] => imageCommand.flatMap((a, i) => (a === flag ? [imageCommand[i + 1]!] : []));

/** The compose demo's HTTP token default, as docker-compose.yml spells it. */
const composeText = read('docker-compose.yml');
const demoToken = /STEERDNS_HTTP_TOKEN:\s*"\$\{STEERDNS_HTTP_TOKEN:-([^}]+)\}"/.exec(composeText)?.[1];

describe('Dockerfile', () => {
  it('builds every stage from one official Node.js LTS image (even major, >= 20) with the major pinned', () => {
    const images = dockerfile.filter((i) => i.keyword === 'FROM').map((i) => substitute(i.args.split(/\s+/)[0]!));
    expect(images.length).toBeGreaterThanOrEqual(2); // multi-stage
    expect(new Set(images).size).toBe(1);
    const m = /^node:(\d+)-[a-z]+-slim$/.exec(images[0]!);
    expect(m, images[0]).not.toBeNull();
    const major = Number(m![1]);
    expect(major % 2).toBe(0); // only even Node.js majors become LTS
    expect(major).toBeGreaterThanOrEqual(20);
    // The compose demo backends run the same Node.js major.
    expect(composeText).toContain(`image: node:${major}-alpine`);
  });

  it('runs the final stage as a non-root user', () => {
    const users = only(finalStage, 'USER').map((i) => i.args.split(':')[0]!.trim());
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0']).not.toContain(users.at(-1));
  });

  it('compiles with npm ci in a builder stage and ships production dependencies only', () => {
    const all = stages(dockerfile);
    const runs = (stage: readonly Instruction[]): string =>
      only(stage, 'RUN')
        .map((i) => i.args)
        .join('\n');
    expect(all.some((s) => /npm ci\b(?!.*--omit=dev)/.test(runs(s)) && /npm run build/.test(runs(s)))).toBe(true);
    const depsIndex = all.findIndex((s) => /npm ci --omit=dev/.test(runs(s)));
    expect(depsIndex).toBeGreaterThanOrEqual(0);
    const depsName = /\bAS\s+(\S+)/i.exec(all[depsIndex]![0]!.args)?.[1];
    const copies = only(finalStage, 'COPY').map((i) => i.args);
    expect(copies).toContain(`--from=${depsName} /app/node_modules ./node_modules`);
    expect(copies.some((c) => /^--from=\S+ \S+\/dist \.\/dist$/.test(c))).toBe(true);
    // No npm install or build in the runtime stage, and no sources copied into it.
    expect(runs(finalStage)).toBe('');
    expect(copies.some((c) => /^src\b/.test(c))).toBe(false);
  });

  it('builds the batched UDP addon in the deps stage and ships only the built addon', () => {
    const deps = stages(dockerfile).find((s) => /\bAS\s+deps\b/i.test(s[0]!.args))!;
    const runs = only(deps, 'RUN')
      .map((i) => i.args)
      .join('\n');
    expect(runs).toMatch(/apt-get install .*python3 make g\+\+/);
    // The build must not silently fall back to dgram in the image.
    expect(runs).toMatch(/npm ci --omit=dev.*&& test -f native\/build\/Release\/udp_batch\.node/);
    const depsCopies = only(deps, 'COPY').map((i) => i.args);
    expect(depsCopies).toEqual(
      expect.arrayContaining(['scripts/build-native.mjs ./scripts/build-native.mjs', 'native/udp_batch.c native/binding.gyp ./native/']),
    );
    expect(only(finalStage, 'COPY').map((i) => i.args)).toContain(
      '--from=deps /app/native/build/Release/udp_batch.node ./native/build/Release/udp_batch.node',
    );
  });

  it('copies only files that exist and that .dockerignore lets into the build context', () => {
    const ignored = new Set(
      read('.dockerignore')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#')),
    );
    for (const name of ['node_modules', 'dist', '.git', 'test-output']) expect(ignored).toContain(name);
    const sources = dockerfile
      .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from='))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'src', 'zones']));
    for (const source of sources) {
      expect(fs.existsSync(path.join(repoRoot, source)), source).toBe(true);
      expect(ignored.has(source.split('/')[0]!), `${source} is in .dockerignore`).toBe(false);
    }
  });

  it('exposes DNS on 5300 over UDP and TCP and HTTP on 9153', () => {
    const exposed = only(finalStage, 'EXPOSE').flatMap((i) => i.args.split(/\s+/));
    expect(exposed).toEqual(expect.arrayContaining(['5300/udp', '5300/tcp', '9153/tcp']));
  });

  it('starts the CLI and serves the image zones on 5300 (IPv4 and IPv6) with HTTP on 9153', () => {
    expect(imageEntrypoint).toEqual(['node', 'dist/cli/bin.js']);
    expect(imageCommand[0]).toBe('serve');
    expect(cmdValues('--listen')).toEqual(['0.0.0.0:5300', '[::]:5300']);
    expect(cmdValues('--http')).toEqual(['0.0.0.0:9153']);
    expect(cmdValues('--zones')).toEqual(['/app/zones']);
  });

  it('checks liveness with node against /healthz on the HTTP port (no curl in the image)', () => {
    expect(healthcheckCommand[0]).toBe('node');
    expect(healthcheckCommand.join(' ')).toContain('http://127.0.0.1:9153/healthz');
  });
});

// ---------------------------------------------------------------------------------------------
// The image's command, run with the compiled CLI: the run's one build (test/global-setup.ts),
// entered where the image's ENTRYPOINT enters dist/.

const imageCli = (): string => path.join(distDir(), path.relative('dist', imageEntrypoint.at(-1)!));

/** The CMD with every listen address moved to loopback port 0 and the zones dir to the repo's. */
function loopbackCommand(): string[] {
  const replacements: Record<string, string> = {
    '0.0.0.0:5300': '127.0.0.1:0',
    '[::]:5300': '[::1]:0',
    '0.0.0.0:9153': '127.0.0.1:0',
    '/app/zones': path.join(repoRoot, 'zones'),
  };
  const args = imageCommand.map((a) => replacements[a] ?? a);
  // Guard: nothing in the command may still bind a non-loopback address.
  expect(args.filter((a) => /^(0\.0\.0\.0|\[::\]):/.test(a))).toEqual([]);
  return args;
}

interface LogLine {
  readonly msg?: string;
  readonly port?: number;
  readonly address?: string;
}

describe('the image command, run on loopback', () => {
  it('--help documents every flag the CMD passes', () => {
    const help = spawnSync(process.execPath, [imageCli(), '--help'], { encoding: 'utf8', timeout: 20_000 });
    expect(help.status).toBe(0);
    const flags = imageCommand.filter((a) => a.startsWith('--'));
    expect(flags.length).toBeGreaterThan(0);
    for (const flag of flags) expect(help.stdout, flag).toContain(`${flag} `);
  });

  it('serves DNS and HTTP with the CMD flags and the compose demo token; the HEALTHCHECK passes, then fails once stopped', async () => {
    expect(demoToken, 'docker-compose.yml sets a default STEERDNS_HTTP_TOKEN').toBeDefined();
    const env = { ...process.env, STEERDNS_HTTP_TOKEN: demoToken! };
    const child: ChildProcess = spawn(process.execPath, [imageCli(), ...loopbackCommand()], { cwd: repoRoot, env });
    const lines: string[] = [];
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const dnsPorts: LogLine[] = [];
      let http: LogLine | undefined;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve did not come up:\n${lines.join('\n')}\n${stderr}`)), 20_000);
        readline.createInterface({ input: child.stdout! }).on('line', (line) => {
          lines.push(line);
          const entry = JSON.parse(line) as LogLine;
          // One line per listen address (per worker with --workers above 1: the first counts).
          if (entry.msg?.startsWith('listening on') && !dnsPorts.some((e) => e.address === entry.address)) dnsPorts.push(entry);
          if (entry.msg?.startsWith('http listening')) http = entry;
          if (dnsPorts.length === 2 && http) {
            clearTimeout(timer);
            resolve();
          }
        });
        void exited.then((code) => reject(new Error(`serve exited with ${code}:\n${lines.join('\n')}\n${stderr}`)));
      });
      expect(dnsPorts.map((e) => e.address).sort()).toEqual(['127.0.0.1', '::1']);

      // DNS: the image's zones answer authoritatively.
      const soa = decode(
        await udpExchange(
          '127.0.0.1',
          dnsPorts.find((e) => e.address === '127.0.0.1')!.port!,
          buildQuery({ name: 'example.com', type: 'SOA' }),
        ),
      );
      expect(soa.rcode).toBe('NOERROR');
      expect(soa.flag_aa).toBe(true);

      // HTTP: the token guards the API (docs/deploy.md: curl -H "Authorization: Bearer $TOKEN" .../metrics) ...
      const base = `http://127.0.0.1:${http!.port}`;
      expect((await fetch(`${base}/metrics`)).status).toBe(401);
      const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${demoToken}` } });
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('# HELP');

      // ... but not /healthz, which the HEALTHCHECK one-liner uses as written, port aside.
      const runHealthcheck = (): Promise<number> =>
        new Promise((resolve) => {
          const args = healthcheckCommand.slice(1).map((a) => a.replace('127.0.0.1:9153', `127.0.0.1:${http!.port}`));
          execFile(process.execPath, args, { timeout: 10_000 }, (err) => resolve(err ? ((err as { code?: number }).code ?? -1) : 0));
        });
      expect(await runHealthcheck()).toBe(0);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(await runHealthcheck()).toBe(1);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// docker-compose.yml and the files it wires together.

const DEMO_ZONE_DIR = path.join(repoRoot, 'docker', 'zones');

interface DemoLb {
  monitors: Record<string, { port?: number; path?: string; expected_body?: string; interval?: number; timeout?: number }>;
  pools: Record<string, { monitor?: string; origins: { name: string; address: string; port?: number }[] }>;
  load_balancers: Record<string, { ttl?: number }>;
}
const demoLb = (): DemoLb => YAML.parse(fs.readFileSync(path.join(DEMO_ZONE_DIR, 'example.com.lb.yaml'), 'utf8')) as DemoLb;

/** `key: value` lines of an unbound.conf, comments dropped, values unquoted. */
function unboundSettings(text: string): [string, string][] {
  return text
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => /^[\w-]+:\s*\S/.test(l))
    .map((l) => {
      const i = l.indexOf(':');
      return [
        l.slice(0, i),
        l
          .slice(i + 1)
          .trim()
          .replace(/^"(.*)"$/, '$1'),
      ];
    });
}
const settingValues = (settings: readonly [string, string][], key: string): string[] =>
  settings.filter(([k]) => k === key).map(([, v]) => v);

const composeTool = requireTool('docker-compose', 'docker-compose config');

describe.skipIf(!composeTool)('docker-compose.yml', () => {
  interface ComposeService {
    image?: string;
    build?: { context: string; dockerfile?: string };
    ports?: (string | { target: number; published: number | string; protocol: string; host_ip?: string })[];
    networks?: Record<string, { ipv4_address?: string } | null>;
    environment?: Record<string, string>;
    depends_on?: Record<string, { condition: string }>;
    volumes?: (string | { source: string; target: string })[];
  }
  let services: Record<string, ComposeService>;

  function runCompose(args: string[]): ReturnType<typeof spawnSync> & { stdout: string; stderr: string } {
    // The demo defaults, not whatever the developer's shell exports.
    const env = { ...process.env };
    delete env.STEERDNS_HTTP_TOKEN;
    delete env.STEERDNS_DNS_PORT;
    delete env.STEERDNS_RESOLVER_PORT;
    return spawnSync(composeTool!, ['-f', 'docker-compose.yml', ...args], { cwd: repoRoot, env, encoding: 'utf8', timeout: 60_000 });
  }

  beforeAll(() => {
    const r = runCompose(['config']);
    if (r.status !== 0) throw new Error(`docker-compose config failed:\n${r.stderr}`);
    services = (YAML.parse(r.stdout) as { services: Record<string, ComposeService> }).services;
  });

  const ipOf = (service: string): string | undefined => services[service]?.networks?.steernet?.ipv4_address;

  it('passes `docker-compose config -q` without warnings', () => {
    const r = runCompose(['config', '-q']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('has steerdns, three demo backends and an Unbound resolver, from official or locally built images only', () => {
    expect(Object.keys(services).sort()).toEqual(['backend-a', 'backend-b', 'backend-c', 'etcd', 'resolver', 'steerdns', 'steerdns2']);
    expect(services.etcd!.image).toMatch(/^gcr\.io\/etcd-development\/etcd:v3\.\d+\.\d+$/);
    expect(services.steerdns2!.image).toBe(services.steerdns!.image);
    expect(services.steerdns!.build?.context).toBe(repoRoot);
    expect(services.resolver!.build).toMatchObject({ context: path.join(repoRoot, 'docker'), dockerfile: 'unbound.Dockerfile' });
    expect(fs.readFileSync(path.join(repoRoot, 'docker', 'unbound.Dockerfile'), 'utf8')).toMatch(/^FROM debian:bookworm-slim$/m);
    for (const name of ['backend-a', 'backend-b', 'backend-c']) {
      expect(services[name]!.image).toMatch(/^node:\d+-alpine$/);
      expect(services[name]!.volumes).toEqual([`${path.join(repoRoot, 'docker', 'demo-backend.mjs')}:/srv/demo-backend.mjs:ro`]);
    }
    // The resolver waits for steerdns's HEALTHCHECK.
    expect(services.resolver!.depends_on).toEqual({ steerdns: { condition: 'service_healthy' } });
  });

  it('publishes steerdns 53 → 5300 (UDP and TCP), HTTP 9153 and the resolver 5353 on loopback only', () => {
    // docker-compose 1.x keeps "IP:HOST:CONTAINER/proto" strings and expands the rest; v2 expands all.
    const ports = (s: string): string[] =>
      (services[s]!.ports ?? [])
        .map((p) => {
          if (typeof p !== 'string') return `${p.host_ip ?? '*'} ${p.published}->${p.target}/${p.protocol}`;
          const m = /^(?:([\d.]+):)?(\d+):(\d+)\/(udp|tcp)$/.exec(p);
          return m ? `${m[1] ?? '*'} ${m[2]}->${m[3]}/${m[4]}` : p;
        })
        .sort();
    expect(ports('steerdns')).toEqual(['* 53->5300/tcp', '* 53->5300/udp', '127.0.0.1 9153->9153/tcp']);
    expect(ports('resolver')).toEqual(['127.0.0.1 5353->53/tcp', '127.0.0.1 5353->53/udp']);
    expect(services.steerdns!.environment?.STEERDNS_HTTP_TOKEN).toBe(demoToken);
  });

  it('wires one address for steerdns everywhere: ns1 glue, Unbound stub-addr and ECS target', () => {
    const steer = ipOf('steerdns');
    expect(steer).toMatch(/^172\.28\.53\.\d+$/);
    const zone = fs.readFileSync(path.join(DEMO_ZONE_DIR, 'example.com.zone'), 'utf8');
    expect(zone).toMatch(new RegExp(`^ns1\\s+IN\\s+A\\s+${steer!.replace(/\./g, '\\.')}\\s*$`, 'm'));
    const conf = unboundSettings(fs.readFileSync(path.join(repoRoot, 'docker', 'unbound.conf'), 'utf8'));
    expect(settingValues(conf, 'stub-addr')).toEqual([`${steer}@5300`]);
    expect(settingValues(conf, 'send-client-subnet')).toEqual([steer]);
    expect(services.steerdns!.volumes).toEqual([`${DEMO_ZONE_DIR}:/app/zones:ro`]);
  });

  it('runs the two nameservers as a fleet on the etcd service, one site each, with ns2 glue in the zone', () => {
    interface WithCommand {
      command?: string[];
    }
    const flag = (service: string, name: string): string | undefined => {
      const command = (services[service] as WithCommand).command ?? [];
      const i = command.indexOf(name);
      return i < 0 ? undefined : command[i + 1];
    };
    const etcdUrl = `http://${ipOf('etcd')}:2379`;
    for (const s of ['steerdns', 'steerdns2']) {
      expect(flag(s, '--etcd'), s).toBe(etcdUrl);
      expect(flag(s, '--workers'), s).toBe('1');
      expect(flag(s, '--zones'), s).toBe('/app/zones');
    }
    expect([flag('steerdns', '--node'), flag('steerdns2', '--node')]).toEqual(['ns1', 'ns2']);
    expect(flag('steerdns', '--site')).not.toBe(flag('steerdns2', '--site'));
    const zone = fs.readFileSync(path.join(DEMO_ZONE_DIR, 'example.com.zone'), 'utf8');
    expect(zone).toMatch(new RegExp(`^ns2\\s+IN\\s+A\\s+${ipOf('steerdns2')!.replace(/\./g, '\\.')}\\b`, 'm'));
  });

  it('points each pool origin at its backend service address, probed on the port the demo backend listens on', () => {
    const lb = demoLb();
    const origins = Object.values(lb.pools).flatMap((p) => p.origins);
    expect(origins.map((o) => o.name).sort()).toEqual(['backend-a', 'backend-b', 'backend-c']);
    for (const o of origins) expect(o.address, o.name).toBe(ipOf(o.name));
    const backendSource = fs.readFileSync(path.join(repoRoot, 'docker', 'demo-backend.mjs'), 'utf8');
    const defaultPort = Number(/BACKEND_PORT \?\? (\d+)/.exec(backendSource)?.[1]);
    expect(lb.monitors.web?.port).toBe(defaultPort);
  });
});

describe('docker/unbound.conf', () => {
  const conf = unboundSettings(fs.readFileSync(path.join(repoRoot, 'docker', 'unbound.conf'), 'utf8'));

  it('is accepted by unbound-checkconf', () => {
    // unbound-checkconf ships in the same Debian package as unbound.
    if (!requireTool('unbound', 'unbound-checkconf')) return;
    const checkconf = findTool('unbound-checkconf');
    expect(checkconf, 'unbound-checkconf next to unbound').not.toBeNull();
    const r = spawnSync(checkconf!, [path.join(repoRoot, 'docker', 'unbound.conf')], { encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toContain('no errors');
    expect(r.status).toBe(0);
  });

  it('sends ECS and stubs example.com the way the loopback interop test does', () => {
    const tested = unboundSettings(unboundConfig('/tmp/x', 5353, [{ name: 'example.com.', host: '127.0.0.1', port: 5300 }]));
    for (const key of ['max-client-subnet-ipv4', 'client-subnet-always-forward']) {
      expect(settingValues(conf, key), key).toEqual(settingValues(tested, key));
    }
    expect(settingValues(conf, 'module-config')[0]).toMatch(/^subnetcache\b.*\biterator$/);
    expect(settingValues(conf, 'name')).toEqual(settingValues(tested, 'name'));
    // The demo's example.com is unsigned; the validator must not reject it.
    expect(settingValues(conf, 'domain-insecure')).toEqual(['example.com']);
  });
});

// ---------------------------------------------------------------------------------------------
// The demo topology without Docker: the demo zones and backend script as shipped, each backend on
// a loopback address (with an OS-chosen port) instead of its compose address.

const LOOPBACK_FOR: Readonly<Record<string, string>> = {
  'backend-a': '127.0.0.21',
  'backend-b': '127.0.0.22',
  'backend-c': '127.0.0.23',
};

interface DemoBackend {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
}

async function startDemoBackend(name: string, host: string): Promise<DemoBackend> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'docker', 'demo-backend.mjs')], {
    env: { ...process.env, BACKEND_NAME: name, BACKEND_HOST: host, BACKEND_PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start`)), 10_000);
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = / listening on [\d.]+:(\d+)$/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    void exited.then((code) => reject(new Error(`${name} exited with ${code}`)));
  });
  return { name, host, port, child, exited };
}

describe('the compose demo topology, on loopback', () => {
  let dir: string;
  let steer: TestServer | undefined;
  const backends = new Map<string, DemoBackend>();
  let byAddress: Map<string, string>;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-demo-'));
    for (const [name, host] of Object.entries(LOOPBACK_FOR)) backends.set(name, await startDemoBackend(name, host));
    const lb = demoLb();
    for (const pool of Object.values(lb.pools)) {
      for (const origin of pool.origins) {
        const backend = backends.get(origin.name)!;
        origin.address = backend.host;
        origin.port = backend.port;
      }
    }
    byAddress = new Map([...backends.values()].map((b) => [b.host, b.name]));
    fs.copyFileSync(path.join(DEMO_ZONE_DIR, 'example.com.zone'), path.join(dir, 'example.com.zone'));
    fs.writeFileSync(path.join(dir, 'example.com.lb.yaml'), YAML.stringify(lb));
    steer = await startTestServer({ zonesDir: dir, geoip: defaultGeoIpPath(), watch: false });
    const server = steer.server;
    await eventually('the first probe round', () => server.isReady(), { timeoutMs: 15_000 });
  });

  afterAll(async () => {
    await steer?.close();
    for (const b of backends.values()) b.child.kill('SIGKILL');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Which backend steerdns hands a client in `subnet` (ECS, as Unbound sends it). */
  async function backendFor(name: string, subnet: string): Promise<string | undefined> {
    const [ip, prefix] = subnet.split('/');
    const reply: DecodedReply = await steer!.udp({ name, type: 'A', edns: { ecs: { ip: ip!, sourcePrefix: Number(prefix) } } });
    expect(reply.rcode).toBe('NOERROR');
    const a = reply.answers.filter((rr) => rr.type === 'A').map((rr) => String(rr.data));
    expect(a).toHaveLength(1);
    return byAddress.get(a[0]!);
  }

  it('the demo backend passes the demo monitor (/health → "ok") and names itself elsewhere', async () => {
    const a = backends.get('backend-a')!;
    const health = await fetch(`http://${a.host}:${a.port}/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).toContain(demoLb().monitors.web!.expected_body!);
    expect(await (await fetch(`http://${a.host}:${a.port}/`)).text()).toBe('hello from backend-a\n');
  });

  it('answers as docs/deploy.md says: Britain → backend-a, Japan → backend-c, the US and unknown clients → backend-b', async () => {
    expect(await backendFor('www.example.com', '81.2.69.0/24')).toBe('backend-a');
    expect(await backendFor('www.example.com', '1.0.16.0/24')).toBe('backend-c');
    expect(await backendFor('www.example.com', '8.8.8.0/24')).toBe('backend-b');
    // The host's own queries reach Unbound from the compose network's gateway.
    expect(await backendFor('www.example.com', '172.28.53.0/24')).toBe('backend-b');
    expect(await backendFor('api.example.com', '81.2.69.0/24')).toBe('backend-b');
  });

  it('`docker compose stop backend-a` (SIGTERM): the backend exits at once and Britain fails over to backend-b', async () => {
    const a = backends.get('backend-a')!;
    const stoppedAt = Date.now();
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(3_000); // not Docker's 10 s grace period
    const lb = demoLb();
    const web = lb.monitors.web!;
    // Within one probe interval plus one timeout (and scheduling slack).
    await eventually(
      'Britain to be answered from backend-b',
      async () => (await backendFor('www.example.com', '81.2.69.0/24')) === 'backend-b',
      { timeoutMs: (web.interval! + web.timeout! + 3) * 1000, intervalMs: 100 },
    );
    expect(await backendFor('www.example.com', '1.0.16.0/24')).toBe('backend-c');
  });
});
