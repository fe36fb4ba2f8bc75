import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../server/logger.js';
import { eventually } from '../../test/support/eventually.js';
import { webhookReceiver, type WebhookReceiver } from '../../test/support/webhook-receiver.js';
import { Delivery } from './delivery.js';
import type { NotificationReceiver, NotifyEvent } from './types.js';

const receivers: WebhookReceiver[] = [];
const deliveries: Delivery[] = [];
afterEach(async () => {
  for (const d of deliveries.splice(0)) d.close();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function setup(overrides: Partial<NotificationReceiver> = {}): Promise<{ hook: WebhookReceiver; d: Delivery }> {
  const hook = await webhookReceiver();
  receivers.push(hook);
  const d = new Delivery(
    {
      zone: 'example.com',
      name: 'ops',
      url: hook.url,
      secret: 'shh-secret',
      format: 'json',
      events: ['origin', 'pool', 'load_balancer', 'ramp'],
      coalesceMs: 0,
      retries: 3,
      backoffMs: 20,
      timeoutMs: 500,
      ...overrides,
    },
    silentLogger(),
  );
  deliveries.push(d);
  return { hook, d };
}

const event = (newState: string, oldState: string, subject = 'eu/a'): NotifyEvent => ({
  kind: 'origin',
  zone: 'example.com',
  subject,
  oldState,
  newState,
  reason: newState === 'down' ? 'HTTP 503' : 'HTTP 200',
  at: Date.UTC(2026, 11, 5, 12, 0, 0),
});

describe('Delivery', () => {
  it('posts a signed JSON body', async () => {
    const { hook, d } = await setup();
    d.offer(event('down', 'up'));
    await eventually('delivered', () => d.stats().delivered === 1);
    const got = hook.received[0]!;
    expect(JSON.parse(got.body)).toEqual({
      version: 1,
      receiver: 'ops',
      kind: 'origin',
      zone: 'example.com',
      subject: 'eu/a',
      old_state: 'up',
      new_state: 'down',
      reason: 'HTTP 503',
      at: '2026-12-05T12:00:00.000Z',
      coalesced: 0,
    });
    expect(got.headers['x-steerdns-signature']).toBe(`sha256=${createHmac('sha256', 'shh-secret').update(got.body).digest('hex')}`);
    expect(got.headers['x-steerdns-event']).toBe('origin');
    expect(d.stats()).toMatchObject({ delivered: 1, failed: 0, pending: 0, endpoint: new URL(hook.url).origin });
  });

  it('sends a Slack-compatible body and no signature without a secret', async () => {
    const { hook, d } = await setup({ format: 'slack', secret: null });
    d.offer(event('down', 'up'));
    await eventually('delivered', () => hook.received.length === 1);
    expect(JSON.parse(hook.received[0]!.body)).toEqual({ text: 'steerdns: origin eu/a in example.com is down (was up): HTTP 503' });
    expect(hook.received[0]!.headers['x-steerdns-signature']).toBeUndefined();
  });

  it('retries with backoff until the receiver answers 2xx, and counts', async () => {
    const { hook, d } = await setup({ retries: 5, backoffMs: 30 });
    hook.mode = 'fail';
    d.offer(event('down', 'up'));
    await eventually('two failed attempts', () => hook.attempts() >= 2);
    hook.mode = 'ok';
    await eventually('delivered after retries', () => d.stats().delivered === 1);
    const stats = d.stats();
    expect(stats.delivered).toBe(1);
    expect(stats.retried).toBeGreaterThanOrEqual(2);
    expect(stats.lastError).toBe('HTTP 500');
    // Doubling backoff: attempts are at least 30, 60, ... ms apart, so few fit in the time taken.
    expect(hook.attempts()).toBeLessThanOrEqual(stats.retried + 1);
  });

  it('gives up after retries, counts the failure and moves on to the next message', async () => {
    const { hook, d } = await setup({ retries: 1, backoffMs: 10 });
    hook.mode = 'fail';
    d.offer(event('down', 'up', 'eu/a'));
    d.offer(event('down', 'up', 'eu/b'));
    await eventually('both given up', () => d.stats().failed === 2);
    expect(hook.attempts()).toBe(4);
  });

  it('times out a hanging receiver', async () => {
    const { hook, d } = await setup({ retries: 0, timeoutMs: 100 });
    hook.mode = 'hang';
    d.offer(event('down', 'up'));
    await eventually('failed with a timeout', () => d.stats().failed === 1);
    expect(d.stats().lastError).toBe('timeout');
  });

  it('coalesces flapping: the first change at once, then one message with where it ended', async () => {
    const { hook, d } = await setup({ coalesceMs: 300 });
    d.offer(event('down', 'up'));
    d.offer(event('up', 'down'));
    d.offer(event('down', 'up'));
    d.offer(event('up', 'down'));
    await eventually('first delivered', () => hook.received.length === 1);
    // Flapped back to the state last sent ("down" → ... → "up" ≠ "down"): one summary follows.
    await eventually('summary delivered', () => hook.received.length === 2);
    const bodies = hook.received.map((r) => JSON.parse(r.body) as { old_state: string; new_state: string; coalesced: number });
    expect(bodies.map((b) => [b.old_state, b.new_state, b.coalesced])).toEqual([
      ['up', 'down', 0],
      ['down', 'up', 3],
    ]);
    expect(d.stats().coalesced).toBe(3);
  });

  it('says nothing more when a subject flaps back to what was last sent within the window', async () => {
    const { hook, d } = await setup({ coalesceMs: 150 });
    d.offer(event('down', 'up'));
    d.offer(event('up', 'down'));
    d.offer(event('down', 'up'));
    await eventually('window closed', () => d.stats().pending === 0 && hook.received.length === 1, { timeoutMs: 3000 });
    await new Promise((r) => setTimeout(r, 50)); // the window has closed: nothing else may arrive
    expect(hook.received.length).toBe(1);
  });

  it('only sends the event kinds the receiver asked for', async () => {
    const { hook, d } = await setup({ events: ['pool'] });
    d.offer(event('down', 'up'));
    d.offer({ ...event('unhealthy', 'healthy', 'eu'), kind: 'pool' });
    await eventually('pool event delivered', () => hook.received.length === 1);
    expect(JSON.parse(hook.received[0]!.body)).toMatchObject({ kind: 'pool' });
  });
});
