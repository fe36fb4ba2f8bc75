import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadKeyFiles, parseKeyFile } from './tsig-keys.js';

const SECRET = 'c3RlZXJkbnMgdGVzdCBrZXkgMjU2IGJpdHMgbG9uZyE=';

function errors(text: string): string[] {
  const r = parseKeyFile(text, 'keys.conf');
  return 'errors' in r ? r.errors.map((e) => e.describe()) : [];
}

describe('TSIG key files', () => {
  it('reads what tsig-keygen and keymgr write, comments and several keys included', () => {
    const r = parseKeyFile(
      `# hmac-sha256:a-key:${SECRET}
key "A-Key." {
\talgorithm hmac-sha256;
\tsecret "${SECRET}";
};
/* a second one */ key "b" { algorithm HMAC-SHA512; secret "${SECRET}"; }; // trailing
`,
      'keys.conf',
    );
    if ('errors' in r) throw new Error(r.errors[0]!.describe());
    expect(r.keys.map((k) => [k.name, k.algorithm, k.digest, k.line])).toEqual([
      ['a-key', 'hmac-sha256', 'sha256', 2],
      ['b', 'hmac-sha512', 'sha512', 6],
    ]);
    expect(r.keys[0]!.secret.toString()).toBe('steerdns test key 256 bits long!');
  });

  it('reports each problem with file:line', () => {
    expect(errors(`key "k" {\n  algorithm hmac-md5;\n  secret "${SECRET}";\n};`)).toEqual([
      'keys.conf:2: TSIG key file: algorithm hmac-md5 is not supported (use hmac-sha256 or hmac-sha512) [STEER_TSIG_KEY_FILE]',
    ]);
    expect(errors(`key "k" {\n  algorithm hmac-sha256;\n};`)[0]).toMatch(/^keys\.conf:1: .*has no secret/);
    expect(errors(`key "k" {\n  algorithm hmac-sha256;\n  secret "not base64!";\n};`)[0]).toMatch(/^keys\.conf:3: .*not base64/);
    expect(errors(`key "k" {\n  algorithm hmac-sha256;\n  colour blue;\n};`)[0]).toMatch(/^keys\.conf:3: .*unknown key statement "colour"/);
    expect(errors(`key "k" {\n  secret "abc`)[0]).toMatch(/^keys\.conf:2: .*unterminated quoted string/);
    expect(errors('\n\n# nothing\n')[0]).toMatch(/^keys\.conf:1: .*no key in the file/);
    expect(errors(`server "x" { };`)[0]).toMatch(/^keys\.conf:1: .*expected `key "name"/);
  });

  it('a missing file, or one key in two files, is an error naming the files', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'steerdns-keys-'));
    const a = path.join(dir, 'a.key');
    const b = path.join(dir, 'b.key');
    const body = `key "k" { algorithm hmac-sha256; secret "${SECRET}"; };\n`;
    writeFileSync(a, body);
    writeFileSync(b, body);
    const missing = loadKeyFiles([path.join(dir, 'none.key')]);
    expect('errors' in missing && missing.errors[0]!.describe()).toMatch(/cannot read .*none\.key: ENOENT/);
    const twice = loadKeyFiles([a, b]);
    expect('errors' in twice && twice.errors[0]!.describe()).toMatch(/b\.key:1: .*already defined in .*a\.key:1/);
    const ok = loadKeyFiles([a]);
    expect('keys' in ok && [...ok.keys.keys()]).toEqual(['k']);
  });
});
