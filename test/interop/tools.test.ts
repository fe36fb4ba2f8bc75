// The interop suites' tool gate: skip with a visible hint locally, fail in CI.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { findTool, installHint, requireTool, requireTools } from './tools.js';

const MISSING = 'steerdns-no-such-tool-7f3a';

describe('interop tool gate', () => {
  const saved = process.env.STEERDNS_REQUIRE_INTEROP;
  afterEach(() => {
    if (saved === undefined) delete process.env.STEERDNS_REQUIRE_INTEROP;
    else process.env.STEERDNS_REQUIRE_INTEROP = saved;
    vi.restoreAllMocks();
  });

  it('finds an executable on PATH and returns its absolute path', () => {
    const sh = findTool('sh');
    expect(sh).toMatch(/^\/.*\/sh$/);
    expect(requireTool('sh')).toBe(sh);
  });

  it('missing tool, interop not required: warns with the apt-get hint and returns null', () => {
    delete process.env.STEERDNS_REQUIRE_INTEROP;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(requireTools(['sh', MISSING], 'demo suite')).toBeNull();
    expect(warn).toHaveBeenCalledTimes(1);
    const message = String(warn.mock.calls[0]![0]);
    expect(message).toContain('[skipped] demo suite: missing');
    expect(message).toContain(MISSING);
    expect(message).toContain('apt-get install');
  });

  it('missing tool with STEERDNS_REQUIRE_INTEROP=1: throws instead of skipping', () => {
    process.env.STEERDNS_REQUIRE_INTEROP = '1';
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(() => requireTool(MISSING, 'demo suite')).toThrow(/demo suite: missing steerdns-no-such-tool-7f3a.*STEERDNS_REQUIRE_INTEROP=1/s);
    expect(warn).not.toHaveBeenCalled();
  });

  it('names the Debian package of each known tool once', () => {
    expect(installHint(['dig', 'kdig', 'knotd', 'knotc', 'dnsperf'])).toBe('apt-get install bind9-dnsutils knot-dnsutils knot dnsperf');
  });
});
