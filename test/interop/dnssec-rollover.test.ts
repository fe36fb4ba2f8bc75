// Key rollovers walked through with key files and reloads while a validating Unbound keeps
// asking: a ZSK rollover by pre-publication and a CSK rollover by double DS (the resolver's
// trust anchors play the parent's DS RRset). At every step every answer validates (ad, never
// SERVFAIL), and steerdns signs with the keys the step says.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Algorithm } from '../../src/dnssec/algorithms.js';
import { removeTestKey, setTestKeyTiming, writeTestKey } from '../support/dnssec-keys.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { dig } from './dig.js';
import { requireTools } from './tools.js';
import { startUnbound, type UnboundResolver } from './unbound.js';

const tools = requireTools(['unbound', 'dig'], 'DNSSEC rollover interop');

// TTL 1 everywhere: the resolver's cached keys and answers age out between steps.
const ZONE = `$TTL 1
@      IN SOA ns1 hostmaster 1 3600 600 86400 1
       IN NS  ns1
ns1    IN A   127.0.0.1
www    IN A   192.0.2.1
`;
const HOUR = 3_600_000;
const QUESTIONS = [
  ['www.example.com', 'A'],
  ['example.com', 'DNSKEY'],
  ['missing.example.com', 'A'],
  ['www.example.com', 'TXT'],
] as const;

describe.skipIf(!tools)('rollovers while Unbound validates', () => {
  let dir: string;
  let keysDir: string;
  let steer: TestServer;
  let resolver: UnboundResolver | undefined;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-rollover-'));
  });
  afterEach(async () => {
    await resolver?.stop();
    resolver = undefined;
    await steer?.close();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function serve(name: string): Promise<void> {
    const zonesDir = path.join(dir, name, 'zones');
    keysDir = path.join(dir, name, 'keys');
    fs.mkdirSync(zonesDir, { recursive: true });
    fs.writeFileSync(path.join(zonesDir, 'example.com.zone'), ZONE);
  }

  async function resolve(anchors: readonly string[]): Promise<void> {
    await resolver?.stop();
    resolver = await startUnbound({
      unbound: tools!.unbound,
      dig: tools!.dig,
      stubs: [{ name: 'example.com.', host: steer.host, port: steer.port }],
      trustAnchors: anchors,
    });
  }

  /** Once the 1 s TTL has run out (so Unbound asks steerdns again), every question validates. */
  async function allValidate(step: string): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const replies = await Promise.all(QUESTIONS.map(([name, type]) => dig(tools!.dig, resolver!.host, resolver!.port, [name, type])));
    const seen = replies.map((r, i) => `${QUESTIONS[i]!.join(' ')}: ${r.status} ${r.flags.has('ad') ? 'ad' : 'not validated'}`);
    expect(seen, step).toEqual(QUESTIONS.map(([name, type]) => `${name} ${type}: NOERROR ad`));
  }

  /** Key tags of the RRSIGs steerdns puts on www A and on the DNSKEY RRset. */
  async function signers(): Promise<{ data: number[]; keys: number[] }> {
    const tags = async (name: string, type: string) => {
      const r = await dig(tools!.dig, steer.host, steer.port, ['+norecurse', '+dnssec', name, type]);
      return r.answer
        .filter((rr) => rr.type === 'RRSIG')
        .map((rr) => Number(rr.rdata.split(/\s+/)[6]))
        .sort((a, b) => a - b);
    };
    return { data: await tags('www.example.com', 'A'), keys: await tags('example.com', 'DNSKEY') };
  }

  async function reload(): Promise<void> {
    const outcome = await steer.server.reload(false);
    expect(outcome.errors.map((e) => e.describe())).toEqual([]);
  }

  it('ZSK by pre-publication: publish, switch, retire, remove', async () => {
    await serve('zsk');
    const now = Date.now();
    const ksk = writeTestKey(keysDir, 'example.com', Algorithm.ECDSAP256SHA256, { timing: { publish: now - HOUR, activate: now - HOUR } });
    const zsk1 = writeTestKey(keysDir, 'example.com', Algorithm.ECDSAP256SHA256, {
      ksk: false,
      timing: { publish: now - HOUR, activate: now - HOUR },
    });
    steer = await startTestServer({ zonesDir: path.join(dir, 'zsk', 'zones'), keysDir, watch: false });
    await resolve([ksk.anchor]);
    expect(await signers()).toEqual({ data: [zsk1.tag], keys: [ksk.tag] });
    await allValidate('start');

    // 1. The new ZSK is published, not active: in the DNSKEY RRset, signing nothing.
    const zsk2 = writeTestKey(keysDir, 'example.com', Algorithm.ECDSAP256SHA256, {
      ksk: false,
      timing: { publish: Date.now() - 1000, activate: Date.now() + 10 * HOUR },
    });
    await reload();
    expect(await signers()).toEqual({ data: [zsk1.tag], keys: [ksk.tag] });
    await allValidate('new ZSK published');

    // 2. The new ZSK becomes active and the old one inactive (still published).
    const switchAt = Date.now() - 1000;
    setTestKeyTiming(zsk2, { activate: switchAt });
    setTestKeyTiming(zsk1, { inactive: switchAt });
    await reload();
    expect(await signers()).toEqual({ data: [zsk2.tag], keys: [ksk.tag] });
    await allValidate('new ZSK active, old retired');

    // 3. The old ZSK is deleted.
    removeTestKey(zsk1);
    await reload();
    expect(await signers()).toEqual({ data: [zsk2.tag], keys: [ksk.tag] });
    await allValidate('old ZSK removed');
  }, 60_000);

  it('CSK by double DS: add the key, both DS at the parent, retire the old key, drop its DS', async () => {
    await serve('csk');
    const csk1 = writeTestKey(keysDir, 'example.com', Algorithm.ECDSAP256SHA256);
    steer = await startTestServer({ zonesDir: path.join(dir, 'csk', 'zones'), keysDir, watch: false });
    await resolve([csk1.ds]);
    await allValidate('start');

    // 1. The new CSK joins: both sign, both are in DNSKEY/CDS; the parent still has the old DS only.
    const csk2 = writeTestKey(keysDir, 'example.com', Algorithm.ECDSAP256SHA256);
    await reload();
    expect(await signers()).toEqual({ data: [csk1.tag, csk2.tag].sort((a, b) => a - b), keys: [csk1.tag, csk2.tag].sort((a, b) => a - b) });
    await allValidate('new CSK added');

    // 2. The parent publishes both DS records.
    await resolve([csk1.ds, csk2.ds]);
    await allValidate('both DS at the parent');

    // 3. The old CSK is removed.
    removeTestKey(csk1);
    await reload();
    expect(await signers()).toEqual({ data: [csk2.tag], keys: [csk2.tag] });
    await allValidate('old CSK removed');

    // 4. The parent drops the old DS.
    await resolve([csk2.ds]);
    await allValidate('old DS gone');
  }, 60_000);
});
