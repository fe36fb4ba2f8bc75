import dgram from 'node:dgram';
import { Packet } from 'dns2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { target } from '../../../test/support/loopback.js';
import { parseQtype, parseRcode, rcodeName } from './dns.js';
import { runProbe } from './index.js';

/** A tiny DNS responder whose behaviour is chosen by the query name's first label. */
let responder: dgram.Socket;
let port: number;
let queries = 0;

function reply(query: Buffer, rcode: number, idDelta = 0): Buffer {
  const out = Buffer.from(query);
  out.writeUInt16BE((query.readUInt16BE(0) + idDelta) & 0xffff, 0);
  out[2] = (out[2] ?? 0) | 0x80; // QR
  out[3] = ((out[3] ?? 0) & 0xf0) | rcode;
  return out;
}

beforeAll(async () => {
  responder = dgram.createSocket('udp4');
  responder.on('message', (query, rinfo) => {
    queries++;
    const name = Packet.parse(query).questions[0]?.name ?? '';
    const send = (data: Buffer): void => void responder.send(data, rinfo.port, rinfo.address);
    switch (name.split('.')[0]) {
      case 'ok':
        return send(reply(query, 0));
      case 'servfail':
        return send(reply(query, 2));
      case 'nxdomain':
        return send(reply(query, 3));
      case 'junk':
        return send(Buffer.from('this is not a dns message at all, sorry'));
      case 'short':
        return send(Buffer.from([1, 2, 3]));
      case 'wrongid':
        return send(reply(query, 0, 1));
      case 'echo': {
        // A "reply" with QR clear, i.e. the query bounced back.
        return send(Buffer.from(query));
      }
      case 'otherq': {
        // A well-formed reply, but to a different question.
        const other = new Packet();
        const parsed = Packet.parse(query);
        other.header.id = parsed.header.id;
        other.header.qr = 1;
        other.questions.push(Object.assign({}, parsed.questions[0], { name: 'somewhere.else' }));
        return send(other.toBuffer());
      }
      default:
        return; // silent
    }
  });
  await new Promise<void>((resolve) => responder.bind(0, '127.0.0.1', resolve));
  port = responder.address().port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => responder.close(() => resolve()));
});

const probe = (query_name: string, extra: Parameters<typeof target>[1] = {}) =>
  runProbe(target(port, { type: 'dns', query_name, timeout: 1, ...extra }));

describe('dns monitor', () => {
  it('passes when the rcode is the expected one', async () => {
    expect(await probe('ok.test')).toMatchObject({ ok: true, reason: 'DNS NOERROR' });
    expect(await probe('nxdomain.test', { expected_rcode: 'NXDOMAIN' })).toMatchObject({ ok: true, reason: 'DNS NXDOMAIN' });
  });

  it('fails on another rcode and names both', async () => {
    expect(await probe('servfail.test')).toMatchObject({ ok: false, reason: 'DNS rcode SERVFAIL (expected NOERROR)' });
    expect(await probe('ok.test', { expected_rcode: 'NXDOMAIN' })).toMatchObject({
      ok: false,
      reason: 'DNS rcode NOERROR (expected NXDOMAIN)',
    });
  });

  it('treats junk replies as failures with a reason, not as timeouts', async () => {
    for (const name of ['junk.test', 'short.test']) {
      const started = Date.now();
      expect(await probe(name)).toMatchObject({ ok: false, reason: 'DNS malformed reply' });
      expect(Date.now() - started).toBeLessThan(900);
    }
    expect(await probe('echo.test')).toMatchObject({ ok: false, reason: 'DNS malformed reply (not a response)' });
    expect(await probe('wrongid.test')).toMatchObject({ ok: false, reason: 'DNS reply ID mismatch' });
    expect(await probe('otherq.test')).toMatchObject({ ok: false, reason: 'DNS question mismatch' });
  });

  it('times out on a silent server', async () => {
    expect(await probe('silent.test', { timeout: 0.1 })).toMatchObject({ ok: false, reason: 'timeout after 100ms' });
  });

  it('sends the configured query type, and fails on an unknown one without sending', async () => {
    const before = queries;
    expect(await probe('ok.test', { query_type: 'AAAA' })).toMatchObject({ ok: true });
    expect(await probe('ok.test', { query_type: 'TYPE65' })).toMatchObject({ ok: true });
    expect(queries).toBe(before + 2);
    expect(await probe('ok.test', { query_type: 'BOGUS' })).toMatchObject({ ok: false, reason: 'DNS unknown query type BOGUS' });
    expect(queries).toBe(before + 2);
  });

  it('fails fast with ECONNREFUSED on a closed UDP port', async () => {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const closed = socket.address().port;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    const result = await runProbe(target(closed, { type: 'dns', query_name: 'ok.test', timeout: 2 }));
    expect(result).toMatchObject({ ok: false, reason: 'ECONNREFUSED' });
    expect(result.durationMs).toBeLessThan(1500);
  });
});

describe('dns monitor helpers', () => {
  it('parses rcodes and qtypes by name or number', () => {
    expect(parseRcode('NOERROR')).toBe(0);
    expect(parseRcode('servfail')).toBe(2);
    expect(parseRcode('')).toBe(0);
    expect(parseRcode('3')).toBe(3);
    expect(parseRcode('NOPE')).toBeUndefined();
    expect(rcodeName(5)).toBe('REFUSED');
    expect(rcodeName(16)).toBe('BADVERS');
    expect(rcodeName(4000)).toBe('RCODE4000');
    expect(parseQtype('aaaa')).toBe(28);
    expect(parseQtype('TYPE65')).toBe(65);
    expect(parseQtype('TYPE70000')).toBeUndefined();
    expect(parseQtype('NOPE')).toBeUndefined();
  });
});
