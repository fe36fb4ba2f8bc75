import { defineConfig } from 'vitest/config';

/**
 * Suites that talk to the server over UDP. They run twice: in the main project on the batched
 * path (the native addon; test/support/udp-io.ts says so visibly when it is not built) and in
 * "udp-dgram" on node:dgram, so both UDP paths pass the same tests.
 */
const UDP_SUITES = [
  'test/conformance.test.ts',
  'test/lb-steering.test.ts',
  'test/reload.test.ts',
  'test/packet-cache.test.ts',
  'test/lb-dynamic.test.ts',
  'test/dnssec.test.ts',
  'test/protocol/cookies.test.ts',
  'test/cuts-dname.test.ts',
  'test/hardening/rrl.test.ts',
  'test/hardening/reload-under-load.test.ts',
  'test/hardening/udp-bad-input.test.ts',
  'test/interop/dig-client.test.ts',
  'test/interop/unbound-resolver.test.ts',
];

export default defineConfig({
  test: {
    // One compile of src/ per run, shared by every test that spawns the CLI (inject('distDir')).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: { name: 'main', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], env: { STEERDNS_TEST_UDP_IO: 'batch' } },
      },
      { extends: true, test: { name: 'udp-dgram', include: UDP_SUITES, env: { STEERDNS_TEST_UDP_IO: 'dgram' } } },
    ],
  },
});
