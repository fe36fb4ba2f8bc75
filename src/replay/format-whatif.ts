// The whatif report as a terminal table or Markdown (for a pull-request comment). JSON is the
// WhatifResult itself, with every changed network.
import { heading, percent, renderTable, type TableStyle } from './text-table.js';
import type { Breakdown, LbReport, Share } from './whatif-report.js';
import type { WhatifResult } from './whatif.js';

export interface WhatifHeader {
  readonly current: string;
  readonly candidate: string;
  readonly health: string;
  readonly logs: readonly string[];
}

export interface Verdict {
  readonly failed: boolean;
  readonly reasons: readonly string[];
}

/** The gates: --fail-if-shift PERCENT (per load balancer) and --fail-if-nodata. */
export function whatifVerdict(r: WhatifResult, failIfShift: number | null, failIfNodata: boolean): Verdict {
  const reasons: string[] = [];
  if (failIfShift !== null) {
    for (const lb of r.loadBalancers) {
      if (lb.shift > failIfShift) reasons.push(`${lb.lb}: ${percent(lb.shift)} of its queries move (limit ${failIfShift}%)`);
    }
  }
  if (failIfNodata && r.totals.lostAnswers > 0) reasons.push(`${r.totals.lostAnswers} logged queries that had an answer would get none`);
  return { failed: reasons.length > 0, reasons };
}

export function formatWhatif(style: TableStyle, h: WhatifHeader, r: WhatifResult, top: number, verdict: Verdict): string {
  const out: string[] = [];
  const t = r.totals;
  const md = style === 'markdown';
  out.push(md ? '## steerdns whatif' : 'steerdns whatif');
  out.push(
    [
      `current ${h.current} → candidate ${h.candidate}; health ${h.health}`,
      `log: ${r.log.lines} lines (${r.log.replayed} replayed, ${r.log.bad} bad) over ${Math.round(r.log.spanSeconds)} s from ${h.logs.join(', ')}`,
      `queries: ${t.queries}; changed: ${t.changed} (${percent(share(t.changed, t.queries))}); lost answers: ${t.lostAnswers}; newly on fallback: ${t.newFallback}; ECS scope widened: ${t.scopeWidened}, narrowed: ${t.scopeNarrowed}`,
    ]
      .map((l) => (md ? `- ${l}` : l))
      .join('\n'),
  );
  if (verdict.failed) out.push(`${md ? '**FAIL**' : 'FAIL'}: ${verdict.reasons.join('; ')}`);

  if (r.outcomeChanges.length > 0) {
    out.push(heading(style, 'Answers whose kind changes'));
    out.push(
      renderTable(
        style,
        ['before', 'after', 'queries'],
        r.outcomeChanges.map((c) => [c.from, c.to, String(c.queries)]),
      ),
    );
  }
  for (const lb of r.loadBalancers) out.push(formatLb(style, lb, top));
  if (r.networks.length > 0) {
    out.push(heading(style, `Client networks whose answer changes (top ${Math.min(top, r.networks.length)} of ${r.networks.length})`));
    out.push(
      renderTable(
        style,
        ['network', 'country', 'queries', 'load balancer', 'before', 'after'],
        r.networks.slice(0, top).map((n) => [n.network, n.country, String(n.queries), n.lb, n.before, n.after]),
      ),
    );
    if (r.networksUntracked > 0) out.push(`(${r.networksUntracked} more changed queries from networks past the tracking limit)`);
  }
  if (r.log.bad > 0) {
    out.push(heading(style, `Bad log lines (${r.log.bad}; first ${r.log.badLines.length})`));
    out.push(
      renderTable(
        style,
        ['file:line', 'problem'],
        r.log.badLines.map((b) => [`${b.file}:${b.line}`, b.problem]),
      ),
    );
  }
  return `${out.filter((s) => s !== '').join('\n\n')}\n`;
}

function formatLb(style: TableStyle, lb: LbReport, top: number): string {
  const parts = [heading(style, `${lb.lb}: ${lb.queries} queries, ${percent(lb.shift)} move`)];
  parts.push(renderTable(style, ['pool', 'before', 'after', 'change'], lb.pools.map(shareRow)));
  const originsChanged = lb.origins.filter((o) => o.before !== o.after);
  if (originsChanged.length > 0) {
    parts.push(renderTable(style, ['pool/origins', 'before', 'after', 'change'], originsChanged.slice(0, top).map(shareRow)));
  }
  const changedGroups = (label: string, list: readonly Breakdown[]): void => {
    const rows = list.filter((b) => b.changed).slice(0, top);
    if (rows.length === 0) return;
    parts.push(
      renderTable(
        style,
        [label, 'queries', 'before', 'after'],
        rows.map((b) => [b.key, String(b.queries), describe(b.pools, 'before'), describe(b.pools, 'after')]),
      ),
    );
  };
  changedGroups('continent', lb.continents);
  changedGroups('country', lb.countries);
  changedGroups('resolver', lb.resolvers);
  if (lb.scopeChanges.length > 0) {
    parts.push(
      renderTable(
        style,
        ['ECS scope before', 'after', 'queries', 'meaning'],
        lb.scopeChanges
          .slice(0, top)
          .map((s) => [`/${s.from}`, `/${s.to}`, String(s.queries), s.to < s.from ? 'wider: cached for more clients' : 'narrower']),
      ),
    );
  }
  return parts.join('\n\n');
}

function shareRow(s: Share): string[] {
  const d = s.afterShare - s.beforeShare;
  return [
    s.key,
    `${percent(s.beforeShare)} (${s.before})`,
    `${percent(s.afterShare)} (${s.after})`,
    d === 0 ? '' : `${d > 0 ? '+' : ''}${d.toFixed(1)} pt`,
  ];
}

/** "eu-west 80%, us-east 20%" for one side of a group. */
function describe(pools: readonly Share[], side: 'before' | 'after'): string {
  return pools
    .filter((p) => p[side] > 0)
    .sort((a, b) => b[side] - a[side])
    .map((p) => `${p.key} ${percent(side === 'before' ? p.beforeShare : p.afterShare)}`)
    .join(', ');
}

function share(part: number, whole: number): number {
  return whole === 0 ? 0 : (part / whole) * 100;
}
