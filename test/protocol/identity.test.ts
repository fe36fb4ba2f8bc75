// The server's identity end to end: NSID (RFC 5001) only when asked, CHAOS TXT id.server. and
// hostname.bind., version.server./version.bind. only when a version string is set.
import { hostname } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rcode, RRClass, RRType } from '../../src/wire/types.js';
import { ednsQuery, readEdnsReply } from '../support/edns-query.js';
import { startTestServer, type TestServer } from '../support/server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const zonesDir = path.join(here, '../fixtures/conformance');
const NSID = 3;

describe('server identity: NSID and CHAOS', () => {
  let named: TestServer;
  let plain: TestServer;
  beforeAll(async () => {
    named = await startTestServer({
      zonesDir,
      watch: false,
      probe: false,
      identity: { identity: 'ns2.example.net', version: 'steerdns 9' },
    });
    plain = await startTestServer({ zonesDir, watch: false, probe: false });
  });
  afterAll(async () => {
    await named.close();
    await plain.close();
  });

  const ask = async (server: TestServer, name: string, type: number, qclass: number, nsid = false) =>
    readEdnsReply(await server.udpRaw(ednsQuery(name, type, nsid ? [{ code: NSID, data: new Uint8Array(0) }] : [], qclass)));

  it('sends the identity as NSID when the query asks, and only then', async () => {
    const asked = await ask(named, 'www.example.com', RRType.A, RRClass.IN, true);
    expect(asked.rcode).toBe(Rcode.NOERROR);
    expect(asked.options?.map((o) => [o.code, Buffer.from(o.data).toString()])).toEqual([[NSID, 'ns2.example.net']]);
    const silent = await ask(named, 'www.example.com', RRType.A, RRClass.IN);
    expect(silent.options).toEqual([]);
  });

  it.each(['id.server', 'hostname.bind', 'ID.Server'])('answers CH TXT %s with the identity, class CH, AA', async (name) => {
    const r = await ask(named, name, RRType.TXT, RRClass.CH);
    expect(r.rcode).toBe(Rcode.NOERROR);
    expect(r.aa).toBe(true);
    expect(r.answers.map((a) => [a.type, a.class, String(a.data)])).toEqual([['TXT', 'CH', 'ns2.example.net']]);
  });

  it('answers version.server. and version.bind. with the version string when one is set', async () => {
    for (const name of ['version.server', 'version.bind']) {
      const r = await ask(named, name, RRType.TXT, RRClass.CH);
      expect(r.answers.map((a) => String(a.data))).toEqual(['steerdns 9']);
    }
  });

  it('refuses version questions without a version string, and every other CHAOS name', async () => {
    expect((await ask(plain, 'version.bind', RRType.TXT, RRClass.CH)).rcode).toBe(Rcode.REFUSED);
    expect((await ask(named, 'authors.bind', RRType.TXT, RRClass.CH)).rcode).toBe(Rcode.REFUSED);
    expect((await ask(named, 'www.example.com', RRType.A, RRClass.CH)).rcode).toBe(Rcode.REFUSED);
  });

  it('gives NODATA for another type at an identity name', async () => {
    const r = await ask(named, 'id.server', RRType.A, RRClass.CH);
    expect(r.rcode).toBe(Rcode.NOERROR);
    expect(r.answers).toEqual([]);
  });

  it('defaults the identity to the host name', async () => {
    const r = await ask(plain, 'hostname.bind', RRType.TXT, RRClass.CH, true);
    expect(r.answers.map((a) => String(a.data))).toEqual([hostname()]);
    expect(Buffer.from(r.options![0]!.data).toString()).toBe(hostname());
  });
});
