// Notification bodies: steerdns JSON, or a Slack-compatible {"text": ...} that Slack, Mattermost
// and Rocket.Chat incoming webhooks accept as it is.
import type { Message, NotificationReceiver } from './types.js';

const SUBJECT_WORD = {
  origin: 'origin',
  pool: 'pool',
  load_balancer: 'load balancer',
  ramp: 'weight ramp of',
  override: 'override on',
} as const;

export function formatBody(receiver: NotificationReceiver, message: Message): string {
  const e = message.event;
  if (receiver.format === 'slack') {
    const flaps = message.coalesced > 0 ? ` (${message.coalesced} more change(s) coalesced)` : '';
    const by = e.author === undefined ? '' : ` by ${e.author}`;
    const text = `steerdns: ${SUBJECT_WORD[e.kind]} ${e.subject} in ${e.zone} is ${e.newState} (was ${e.oldState})${by}: ${e.reason}${flaps}`;
    return JSON.stringify({ text });
  }
  return JSON.stringify({
    version: 1,
    receiver: receiver.name,
    kind: e.kind,
    zone: e.zone,
    subject: e.subject,
    old_state: e.oldState,
    new_state: e.newState,
    reason: e.reason,
    ...(e.author === undefined ? {} : { author: e.author }),
    at: new Date(e.at).toISOString(),
    coalesced: message.coalesced,
  });
}
