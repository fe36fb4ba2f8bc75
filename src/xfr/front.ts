// Between the transports and the query pipeline when zone transfers are configured: the few
// messages that are transfers or carry TSIG go to the transfer service; every other message
// goes straight on after one cheap look at its header and question. Without transfer settings
// this is not installed and the query path pays nothing.
import type { ClientIp } from '../net/client-ip.js';
import type { Answerer } from '../query/answerer.js';
import { QueryAnswer, type AnswerKind } from '../query/answer.js';
import type { Transport } from '../query/transport.js';
import { Rcode } from '../wire/types.js';
import { needsTransferPath } from './request.js';
import type { TransferService } from './service.js';

export class TransferFront implements Answerer {
  private readonly out = new QueryAnswer();

  constructor(
    private readonly inner: Answerer,
    private readonly service: TransferService,
  ) {}

  answer(packet: Uint8Array, client: ClientIp, transport: Transport): QueryAnswer {
    if (!needsTransferPath(packet)) return this.withServedSerial(this.inner.answer(packet, client, transport));
    let plain: QueryAnswer | null = null;
    const bytes = this.service.answerMessage(packet, client.text(), transport, (unsigned) => {
      plain = this.withServedSerial(this.inner.answer(unsigned, client, transport));
      return plain.bytes;
    });
    const answered = plain as QueryAnswer | null;
    if (bytes === null) return answered ?? this.inner.answer(packet, client, transport);
    if (answered !== null) {
      // A signed query: the pipeline's answer, with our TSIG record appended.
      answered.bytes = bytes;
      return answered;
    }
    const out = this.out;
    out.reset(transport);
    out.kind = kindOfRcode(bytes[3]! & 0x0f);
    out.bytes = bytes;
    return out;
  }

  /** The SOA serial secondaries see, in any SOA of the reply (lb: snapshot raises it above the file's). */
  private withServedSerial(answer: QueryAnswer): QueryAnswer {
    if (answer.bytes === null) return answer;
    const patched = this.service.patchReply(answer.bytes);
    if (patched !== null) answer.bytes = patched;
    return answer;
  }
}

function kindOfRcode(rcode: number): AnswerKind {
  if (rcode === Rcode.NOERROR) return 'answer';
  if (rcode === Rcode.FORMERR) return 'formerr';
  return 'refused';
}
