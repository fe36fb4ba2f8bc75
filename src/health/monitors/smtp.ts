// SMTP monitor: the server's greeting must be a 220 line (RFC 5321 §4.2). On a pass we say
// QUIT politely and close; on anything else we just drop the connection.
import net from 'node:net';
import type { ProbeTarget } from '../types.js';
import { type AttemptOutcome, errorReason, fail, onAbort, pass, type ProbeOptions } from './common.js';

/** A greeting line longer than this is not SMTP (RFC 5321 §4.5.3.1.5 allows 512). */
const MAX_GREETING_BYTES = 4096;

export function probeSmtp(target: ProbeTarget, signal: AbortSignal, options: ProbeOptions = {}): Promise<AttemptOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: target.address, port: target.port, localAddress: options.localAddress });
    let settled = false;
    let received = '';
    const finish = (outcome: AttemptOutcome, quit: boolean): void => {
      if (settled) return;
      settled = true;
      detach();
      if (quit && socket.writable) {
        // end() flushes QUIT then half-closes; destroy once flushed so a server that never
        // closes its side cannot keep the socket alive.
        socket.end('QUIT\r\n', () => socket.destroy());
      } else {
        socket.destroy();
      }
      resolve(outcome);
    };
    const detach = onAbort(signal, () => finish(fail('aborted'), false));
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
      const eol = received.indexOf('\n');
      if (eol < 0) {
        if (received.length > MAX_GREETING_BYTES) finish(fail('SMTP greeting too long'), false);
        return;
      }
      const line = received.slice(0, eol).replace(/\r$/, '');
      const code = /^(\d{3})(?:[ -]|$)/.exec(line)?.[1];
      if (code === undefined) finish(fail('SMTP bad greeting'), false);
      else if (code === '220') finish(pass('SMTP 220'), true);
      else finish(fail(`SMTP ${code}`), false);
    });
    socket.on('error', (err) => finish(fail(errorReason(err)), false));
    socket.once('close', () => finish(fail('SMTP closed before greeting'), false));
  });
}
