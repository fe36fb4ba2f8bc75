import { describe, expect, it } from 'vitest';
import { statusPage } from './page.js';

// The page's script lives in a TypeScript template literal, where an escape like '\n'
// turns into a raw line break inside a JavaScript string. Browsers then refuse the whole
// script; parse it here so that mistake fails without a browser.
describe('the status page', () => {
  for (const fleet of [false, true]) {
    it(`ships a script that parses (fleet ${fleet ? 'on' : 'off'})`, () => {
      const { html, csp } = statusPage(fleet);
      const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? '');
      expect(scripts).toHaveLength(1);
      expect(() => new Function(scripts[0] ?? '')).not.toThrow();
      expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    });
  }
});
