import { describe, expect, it } from 'vitest';
import { loadLbText } from '../load.js';

const FILE = 'zones/example.com.lb.yaml';

function errorsOf(text: string): string[] {
  const r = loadLbText(text, { file: FILE, origin: 'example.com' });
  if (!('errors' in r)) throw new Error('expected errors, got a config');
  return r.errors.map((e) => e.describe());
}

function lineOf(text: string, marker: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`marker ${marker} not found`);
  return i + 1;
}

const BASE = `pools:
  us: { origins: [{ name: a, address: 192.0.2.10 }] }
  eu: { origins: [{ name: b, address: 198.51.100.10 }], latitude: 50, longitude: 8 }
load_balancers:
  www:
    default_pools: [us, eu]
`;

describe('rules: bad input is an error at its file:line', () => {
  it('unknown condition keys, with a did-you-mean where the key is close', () => {
    const text = `${BASE}    rules:
      - name: r1
        condition: { contry: [GB] }
`;
    const errors = errorsOf(text);
    expect(errors.join('\n')).toContain(`${FILE}:${lineOf(text, 'contry')}: load_balancers.www.rules[0].condition.contry: unknown key`);
  });

  it('a rule naming a pool that does not exist', () => {
    const text = `${BASE}    rules:
      - name: r1
        condition: { country: [GB] }
        overrides:
          default_pools: [us, nowhere]
`;
    expect(errorsOf(text)).toContain(
      `${FILE}:${lineOf(text, 'nowhere')}: load_balancers.www.rules[0].overrides.default_pools[1]: no pool named "nowhere" (defined: us, eu) (rule "r1") [STEER_LB_REFERENCE]`,
    );
  });

  it('duplicate rule names and bad condition values', () => {
    const text = `${BASE}    rules:
      - name: r1
        condition: { asn: ["AS13335"], client_subnet: ["10.0.0.0/33"], qtype: [AAAAA] }
`;
    const dup = `${BASE}    rules:
      - name: r1
      - name: r1
`;
    const all = errorsOf(text).join('\n');
    expect(all).toContain(`${FILE}:${lineOf(text, 'AS13335')}: load_balancers.www.rules[0].condition.asn[0]:`);
    expect(all).toContain('load_balancers.www.rules[0].condition.client_subnet[0]:');
    expect(all).toContain('load_balancers.www.rules[0].condition.qtype[0]:');
    const second = dup.split('\n').length - 1;
    expect(errorsOf(dup)).toContain(
      `${FILE}:${second}: load_balancers.www.rules[1].name: rule name "r1" already used by rules[0] [STEER_LB_SCHEMA]`,
    );
  });

  it('origin_weights naming an unknown origin or pool', () => {
    const text = `${BASE}    rules:
      - name: r1
        overrides: { origin_weights: { us: { zz: 2 }, nope: { a: 1 } } }
`;
    const all = errorsOf(text).join('\n');
    expect(all).toContain(
      `${FILE}:${lineOf(text, 'zz: 2')}: load_balancers.www.rules[0].overrides.origin_weights.us.zz: pool "us" has no origin named "zz"`,
    );
    expect(all).toContain('load_balancers.www.rules[0].overrides.origin_weights.nope: no pool named "nope"');
  });

  it('a combination that breaks a load-balancer rule is blamed on the rule that causes it', () => {
    // proximity needs coordinates on every default pool; "us" has none.
    const text = `${BASE}    rules:
      - name: near
        condition: { ecs: present }
        overrides: { steering_policy: proximity }
`;
    expect(errorsOf(text).join('\n')).toContain(
      `${FILE}:${lineOf(text, '- name: near')}: load_balancers.www.rules[0]: with rule "near": default_pools.0: proximity steering needs latitude and longitude on pool "us"`,
    );
  });

  it('record_type cannot be overridden; asn_pools keys must be AS numbers', () => {
    const text = `${BASE}    asn_pools: { AS13335: [us] }
    rules:
      - name: r1
        overrides: { record_type: MX }
`;
    const all = errorsOf(text).join('\n');
    expect(all).toContain(`${FILE}:${lineOf(text, 'record_type')}: load_balancers.www.rules[0].overrides.record_type: unknown key`);
    expect(all).toContain(`${FILE}:${lineOf(text, 'AS13335')}: load_balancers.www.asn_pools.AS13335:`);
    expect(all).toContain('asn_pools keys are AS numbers');
  });

  it('too many continue: true combinations', () => {
    const rules = Array.from({ length: 7 }, (_, i) => `      - { name: c${i}, condition: { qtype: A }, continue: true }`).join('\n');
    const text = `${BASE}    rules:\n${rules}\n`;
    expect(errorsOf(text).join('\n')).toContain('combinations of rules can match together');
  });
});
