// The decision trace that `steerdns explain` and the status API print. Steering appends steps
// only when a trace object is passed, so the server's per-query path pays one null check.

export type SteerTraceStage = 'lookup' | 'location' | 'rule' | 'pools' | 'origin' | 'fallback' | 'answer';

export interface SteerTraceStep {
  readonly stage: SteerTraceStage;
  readonly text: string;
}

export interface SteerTrace {
  readonly steps: SteerTraceStep[];
}

export function createTrace(): SteerTrace {
  return { steps: [] };
}

/** One line per step: "location  GB/EU from ECS 81.2.69.0/24 (GeoIP network /24)". */
export function formatTrace(trace: SteerTrace): string {
  return trace.steps.map((s) => `${s.stage.padEnd(9)} ${s.text}`).join('\n');
}
