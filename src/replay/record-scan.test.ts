import { describe, expect, it } from 'vitest';
import { parseRecord } from './record.js';
import { scanFlatObject } from './record-scan.js';

const LINE =
  '{"v":1,"ts":1796400000000,"transport":"udp","resolver":"192.0.2.1","ecs":"81.2.69.0/24","qname":"www.example.com","qtype":"A","rcode":"NOERROR","kind":"answer","zone":"example.com","lb":"www.example.com","pool":"eu-west","origins":["a","b"],"scope":24,"sample":1}';

describe('scanFlatObject', () => {
  it('reads a record line exactly as JSON.parse does', () => {
    expect(scanFlatObject(LINE)).toEqual(JSON.parse(LINE));
    const spaced = ' { "a" : [ ] , "b":[ "x" ],"c":null,"d":true,"e":false,"f":-0,"g":"é"} ';
    expect(scanFlatObject(spaced)).toEqual(JSON.parse(spaced));
    expect(scanFlatObject('{}')).toEqual({});
  });

  it('leaves every other shape to JSON.parse', () => {
    for (const line of [
      '{"a":"x\\"y"}',
      '{"a":1.5}',
      '{"a":1e3}',
      '{"a":01}',
      '{"a":{"b":1}}',
      '{"a":[1]}',
      '{"__proto__":"x"}',
      '{"a":1}x',
      '{"a":1,}',
      '{"a" 1}',
      '{"a":1234567890123456}',
      '{"a":"x',
      '[1]',
      'nul',
      '',
    ]) {
      expect(scanFlatObject(line), line).toBeUndefined();
    }
  });

  it('keeps the same records and the same problems through parseRecord', () => {
    expect(parseRecord(LINE)).toEqual({
      record: expect.objectContaining({ qname: 'www.example.com', origins: ['a', 'b'], ts: 1796400000000 }),
    });
    expect(parseRecord('{"ts":1.5e12,"resolver":"192.0.2.1","qname":"a\\u0062","qtype":"A"}')).toEqual({
      record: expect.objectContaining({ ts: 1.5e12, qname: 'ab' }),
    });
    expect(parseRecord('{"ts":1,')).toEqual({ problem: 'not valid JSON' });
    expect(parseRecord('[1]')).toEqual({ problem: 'not a JSON object' });
  });
});
