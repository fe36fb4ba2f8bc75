// Which UDP path the test servers use: the vitest project says (STEERDNS_TEST_UDP_IO, see
// vitest.config.ts). The batched path needs the native addon; when it is not built the suites
// run on node:dgram after a visible warning, and fail instead when STEERDNS_REQUIRE_INTEROP=1
// (CI builds the addon during npm ci).
import { udpBatchAddon } from '../../src/transport/udp-batch-addon.js';
import type { UdpIoMode } from '../../src/transport/udp-io.js';

let warned = false;

/** True when the batched path can be tested here; warns (or throws under CI) once when not. */
export function batchPathAvailable(): boolean {
  const load = udpBatchAddon();
  if (load.addon !== null) return true;
  const message = `batched UDP path not tested: ${load.reason}. Build it with: node scripts/build-native.mjs`;
  if (process.env.STEERDNS_REQUIRE_INTEROP === '1') {
    throw new Error(`${message}. STEERDNS_REQUIRE_INTEROP=1, so this fails instead of skipping.`);
  }
  if (!warned) console.warn(`[skipped] ${message}`);
  warned = true;
  return false;
}

/** The UDP path for servers started by this test file. */
export function testUdpIo(): UdpIoMode {
  if (process.env.STEERDNS_TEST_UDP_IO === 'dgram') return 'dgram';
  return batchPathAvailable() ? 'batch' : 'dgram';
}
