// When a prober writes its smoothed RTT of a target to the store. The health table updates the
// EWMA on every successful probe; writing each one would cost one etcd write per probe per
// target per prober. The value is written (on the observation record, under the lease) when
//   - none was written yet, or the sample count went down (the table started the target over);
//   - while the target has at most EARLY_SAMPLES successful probes, each new sample: a site
//     reaches `min_samples` as fast as a single server does (a one-off cost per target);
//   - the EWMA moved by more than MOVE_RATIO of the written value and at least MOVE_MIN_MS;
//   - it changed at all and REFRESH_MS passed since the last write (slow drift, sample counts).
// Steady state that is at most one write per target and prober per REFRESH_MS, plus one per
// real move of the RTT.
import type { SmoothedRtt } from './quorum.js';

export const RTT_PUBLISH = Object.freeze({
  earlySamples: 10,
  moveRatio: 0.2,
  moveMinMs: 2,
  refreshMs: 60_000,
});

/** Whether `current` should replace `published` (written at `publishedAt`, epoch ms) now. */
export function rttPublishDue(published: SmoothedRtt | null, publishedAt: number, current: SmoothedRtt | null, now: number): boolean {
  if (current === null) return false;
  if (published === null || current.samples < published.samples) return true;
  if (current.samples === published.samples && current.rttMs === published.rttMs) return false;
  if (current.samples <= RTT_PUBLISH.earlySamples && current.samples !== published.samples) return true;
  const moved = Math.abs(current.rttMs - published.rttMs);
  if (moved >= RTT_PUBLISH.moveMinMs && moved > RTT_PUBLISH.moveRatio * published.rttMs) return true;
  return now - publishedAt >= RTT_PUBLISH.refreshMs;
}
