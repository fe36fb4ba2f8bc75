// TCP monitor: a completed three-way handshake is a pass; nothing is sent.
import net from 'node:net';
import type { ProbeTarget } from '../types.js';
import { type AttemptOutcome, errorReason, fail, onAbort, pass, type ProbeOptions } from './common.js';

export function probeTcp(target: ProbeTarget, signal: AbortSignal, options: ProbeOptions = {}): Promise<AttemptOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: target.address, port: target.port, localAddress: options.localAddress });
    let settled = false;
    const finish = (outcome: AttemptOutcome): void => {
      if (settled) return;
      settled = true;
      detach();
      socket.destroy();
      resolve(outcome);
    };
    const detach = onAbort(signal, () => finish(fail('aborted')));
    socket.once('connect', () => finish(pass('TCP connected')));
    socket.on('error', (err) => finish(fail(errorReason(err))));
    socket.once('close', () => finish(fail('closed')));
  });
}
