import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConnectionTracker, closeServer, closedPort, listen, target, trackConnections } from '../../../test/support/loopback.js';
import { runProbe } from './index.js';
import { eventually } from '../../../test/support/eventually.js';

describe('tcp monitor', () => {
  it('passes when the port accepts a connection, and closes it', async () => {
    const server = net.createServer();
    const tracker = trackConnections(server);
    const port = await listen(server);
    try {
      expect(await runProbe(target(port, { type: 'tcp' }))).toMatchObject({ ok: true, reason: 'TCP connected' });
      expect(tracker.accepted).toBe(1);
      await eventually('the probe connection to close', () => tracker.open.size === 0);
    } finally {
      await closeServer(server, tracker);
    }
  });

  it('fails with ECONNREFUSED on a closed port', async () => {
    const port = await closedPort();
    expect(await runProbe(target(port, { type: 'tcp' }))).toMatchObject({ ok: false, reason: 'ECONNREFUSED' });
  });
});

type SmtpMode = 'ready' | 'multiline' | 'reject' | 'silent' | 'hangup' | 'garbage';

describe('smtp monitor', () => {
  let server: net.Server;
  let tracker: ConnectionTracker;
  let port: number;
  let mode: SmtpMode = 'ready';
  /** What each connection sent us, in order of arrival. */
  const sessions: { data: string; closed: boolean }[] = [];

  beforeAll(async () => {
    server = net.createServer((socket) => {
      const session = { data: '', closed: false };
      sessions.push(session);
      socket.on('data', (data) => {
        session.data += data.toString('latin1');
      });
      socket.on('close', () => {
        session.closed = true;
      });
      socket.on('error', () => undefined);
      if (mode === 'ready') socket.write('220 mx.example.test ESMTP ready\r\n');
      else if (mode === 'multiline') socket.write('220-mx.example.test first line\r\n220 second line\r\n');
      else if (mode === 'reject') socket.write('554 no service for you\r\n');
      else if (mode === 'hangup') socket.end();
      else if (mode === 'garbage') socket.write('SSH-2.0-OpenSSH_9.6\r\n');
      // 'silent' writes nothing
    });
    tracker = trackConnections(server);
    port = await listen(server);
  });

  afterAll(async () => {
    await closeServer(server, tracker);
  });

  const probe = (m: SmtpMode, timeout = 2) => {
    mode = m;
    return runProbe(target(port, { type: 'smtp', timeout }));
  };

  it('passes on a 220 greeting, then says QUIT and closes', async () => {
    expect(await probe('ready')).toMatchObject({ ok: true, reason: 'SMTP 220' });
    const session = sessions.at(-1);
    await eventually('the connection to close', () => session?.closed === true);
    expect(session?.data).toBe('QUIT\r\n');
  });

  it('passes on a multi-line 220 greeting', async () => {
    expect(await probe('multiline')).toMatchObject({ ok: true, reason: 'SMTP 220' });
  });

  it('fails with the code of any other greeting, without QUIT', async () => {
    expect(await probe('reject')).toMatchObject({ ok: false, reason: 'SMTP 554' });
    const session = sessions.at(-1);
    await eventually('the connection to close', () => session?.closed === true);
    expect(session?.data).toBe('');
  });

  it('fails when the server closes before greeting', async () => {
    expect(await probe('hangup')).toMatchObject({ ok: false, reason: 'SMTP closed before greeting' });
  });

  it('fails on a greeting that is not SMTP', async () => {
    expect(await probe('garbage')).toMatchObject({ ok: false, reason: 'SMTP bad greeting' });
  });

  it('times out on a silent server and closes the connection', async () => {
    expect(await probe('silent', 0.1)).toMatchObject({ ok: false, reason: 'timeout after 100ms' });
    await eventually('the connection to close', () => tracker.open.size === 0);
  });

  it('fails with ECONNREFUSED on a closed port', async () => {
    const closed = await closedPort();
    expect(await runProbe(target(closed, { type: 'smtp' }))).toMatchObject({ ok: false, reason: 'ECONNREFUSED' });
  });
});
