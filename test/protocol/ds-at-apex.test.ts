// A child zone whose file carries a DS at its own apex (the parent's data; Knot and NSD load such
// files): steerdns loads it too, answers the child's data from the child and DS from the parent.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

const PARENT = `$ORIGIN parent.test.
$TTL 600
@       SOA ns hostmaster 7 3600 600 86400 120
        NS  ns
ns      A   192.0.2.1
kid     NS  ns.kid
ns.kid  A   192.0.2.2
`;

const CHILD = `$ORIGIN kid.parent.test.
$TTL 600
@       SOA ns hostmaster 3 3600 600 86400 120
        NS  ns
        DS  12345 8 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
        A   198.51.100.7
ns      A   192.0.2.2
`;

describe('a DS at a child zone’s apex', () => {
  let dir: string;
  let server: TestServer;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'steerdns-ds-apex-'));
    writeFileSync(path.join(dir, 'parent.test.zone'), PARENT);
    writeFileSync(path.join(dir, 'kid.parent.test.zone'), CHILD);
    server = await startTestServer({ zonesDir: dir, watch: false, probe: false });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the child and answers its apex data with AA', async () => {
    const r = await server.udp({ name: 'kid.parent.test', type: 'A', rd: false });
    expect(r.rcode).toBe('NOERROR');
    expect(r.flag_aa).toBe(true);
    expect(r.answers.map((a) => a.data)).toEqual(['198.51.100.7']);
  });

  it('answers DS for the child from the parent, which has none: NODATA with the parent’s SOA', async () => {
    const r = await server.udp({ name: 'kid.parent.test', type: 'DS', rd: false });
    expect(r.rcode).toBe('NOERROR');
    expect(r.flag_aa).toBe(true);
    expect(r.answers).toEqual([]);
    expect(r.authorities.map((a) => `${a.name} ${a.type}`)).toEqual(['parent.test SOA']);
  });
});
