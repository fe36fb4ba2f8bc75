import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SteerError } from '../errors.js';
import { loadUdpBatchAddon } from './udp-batch-addon.js';
import { chooseUdpIo } from './udp-io.js';

describe('loading the batched UDP addon', () => {
  it('an absent .node file is a reason to fall back, not an error', () => {
    const load = loadUdpBatchAddon(path.join(os.tmpdir(), 'steerdns-no-such-addon.node'));
    expect(load.addon).toBeNull();
    if (load.addon === null) expect(load.reason).toMatch(/steerdns-no-such-addon\.node is not built \(npm install builds it/);
  });

  it('a file that is not the addon is refused with the reason', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steerdns-addon-'));
    try {
      const fake = path.join(dir, 'fake.node');
      fs.writeFileSync(fake, 'not a shared object');
      const load = loadUdpBatchAddon(fake);
      expect(load.addon).toBeNull();
      if (load.addon === null) expect(load.reason).not.toBe('');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('choosing the UDP path', () => {
  const missing = { addon: null, reason: 'not built' } as const;
  const present = { addon: { open: () => null as never, statNames: [] }, file: 'x.node' } as const;

  it('auto takes the addon when it loaded, dgram (saying why) when not', () => {
    expect(chooseUdpIo('auto', present).io).toBe('batch');
    expect(chooseUdpIo('auto', missing)).toEqual({ io: 'dgram', why: 'batched UDP addon not loaded: not built' });
  });

  it('dgram is dgram whatever loaded; batch without the addon is STEER_UDP_IO', () => {
    expect(chooseUdpIo('dgram', present).io).toBe('dgram');
    let err: unknown;
    try {
      chooseUdpIo('batch', missing);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SteerError);
    expect((err as SteerError).code).toBe('STEER_UDP_IO');
  });
});
