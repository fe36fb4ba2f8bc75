// What one UDP datagram gets back, the same for both UDP paths (udp.ts with node:dgram,
// udp-batch.ts with the native addon): the pipeline's answer, then response rate limiting.
import type { ClientIp } from '../net/client-ip.js';
import type { QueryAnswer } from '../query/answer.js';
import type { Answerer } from '../query/answerer.js';
import { RrlVerdict, slipReply, type ResponseRateLimiter } from './rrl.js';

/** The bytes to send to `client` for `packet`, or null for none. Valid until the next call. */
export function udpReply(pipeline: Answerer, rrl: ResponseRateLimiter | null, packet: Uint8Array, client: ClientIp): Uint8Array | null {
  const answer = pipeline.answer(packet, client, 'udp');
  const verdict = rrlVerdict(rrl, answer, client);
  if (verdict === RrlVerdict.DROP) return null;
  return verdict === RrlVerdict.SLIP ? slipReply(answer.bytes!) : answer.bytes;
}

/** Nothing to send (dropped, or rate limited); a positive result is the length written. */
export const NO_REPLY = 0;
/** The reply is longer than `room`: nothing was written. */
export const REPLY_TOO_LONG = -1;

/**
 * udpReply written straight into `target` at `offset` (the batched path's output slot), so a
 * reply kept by the packet cache is copied once (`targetWords`: see QueryAnswer.writeTo): its
 * length, NO_REPLY, or REPLY_TOO_LONG.
 */
export function udpReplyInto(
  pipeline: Answerer,
  rrl: ResponseRateLimiter | null,
  packet: Uint8Array,
  client: ClientIp,
  target: Uint8Array,
  offset: number,
  room: number,
  targetWords: Int32Array | null = null,
): number {
  const answer = pipeline.answer(packet, client, 'udp');
  const verdict = rrlVerdict(rrl, answer, client);
  if (verdict === RrlVerdict.DROP) return NO_REPLY;
  if (verdict === RrlVerdict.SLIP) {
    const slip = slipReply(answer.bytes!);
    if (slip.length > room) return REPLY_TOO_LONG;
    target.set(slip, offset);
    return slip.length;
  }
  if (answer.byteLength > room) return REPLY_TOO_LONG;
  return answer.writeTo(target, offset, targetWords);
}

/** SEND without a limiter; DROP when there is nothing to send. */
function rrlVerdict(rrl: ResponseRateLimiter | null, answer: QueryAnswer, client: ClientIp): RrlVerdict {
  if (answer.byteLength === 0) return RrlVerdict.DROP;
  return rrl === null ? RrlVerdict.SEND : rrl.check(client, answer);
}
