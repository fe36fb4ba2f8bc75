// What one UDP datagram gets back, the same for both UDP paths (udp.ts with node:dgram,
// udp-batch.ts with the native addon): the pipeline's answer, then response rate limiting.
import type { ClientIp } from '../net/client-ip.js';
import type { Answerer } from '../query/answerer.js';
import { RrlVerdict, slipReply, type ResponseRateLimiter } from './rrl.js';

/** The bytes to send to `client` for `packet`, or null for none. Valid until the next call. */
export function udpReply(pipeline: Answerer, rrl: ResponseRateLimiter | null, packet: Uint8Array, client: ClientIp): Uint8Array | null {
  const answer = pipeline.answer(packet, client, 'udp');
  const out = answer.bytes;
  if (out === null || rrl === null) return out;
  const verdict = rrl.check(client, answer);
  if (verdict === RrlVerdict.DROP) return null;
  return verdict === RrlVerdict.SLIP ? slipReply(out) : out;
}
