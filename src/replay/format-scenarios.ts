// The failure matrix as a terminal table or Markdown; JSON is the ScenariosResult itself.
import type { PoolLoad, ScenariosResult } from './scenarios.js';
import { heading, percent, renderTable, type TableStyle } from './text-table.js';

export function formatScenarios(
  style: TableStyle,
  zones: string,
  health: string,
  logs: readonly string[],
  r: ScenariosResult,
  top: number,
): string {
  const md = style === 'markdown';
  const out: string[] = [md ? '## steerdns scenarios' : 'steerdns scenarios'];
  out.push(
    [
      `zones ${zones}; health ${health}`,
      `log: ${r.log.lines} lines (${r.log.replayed} replayed, ${r.log.bad} bad) over ${Math.round(r.log.spanSeconds)} s from ${logs.join(', ')}`,
      `${r.scenarios.length} scenario(s), ${r.flagged} flagged (over capacity or clients left without an answer); load in answers/s over the log's span`,
    ]
      .map((l) => (md ? `- ${l}` : l))
      .join('\n'),
  );
  out.push(heading(style, 'Scenarios'));
  out.push(
    renderTable(
      style,
      ['scenario', 'displaced', 'goes to', 'lost answers', 'over capacity', 'flag'],
      r.scenarios.map((s) => [
        s.name,
        `${s.displaced} (${percent(r.queries === 0 ? 0 : (s.displaced / r.queries) * 100)})`,
        s.moves
          .slice(0, 3)
          .map((m) => `${m.to} ${percent(s.displaced === 0 ? 0 : (m.queries / s.displaced) * 100)}`)
          .join(', ') + (s.moves.length > 3 ? ', …' : ''),
        String(s.lostAnswers),
        s.overCapacity.join(', '),
        s.flagged ? (md ? '**FLAG**' : 'FLAG') : '',
      ]),
    ),
  );
  out.push(heading(style, 'Pool load: baseline and worst scenario'));
  out.push(
    renderTable(
      style,
      ['pool', 'capacity', 'baseline', 'worst', 'in scenario'],
      r.baseline.map((b) => {
        let worst: PoolLoad = b;
        let where = '';
        for (const s of r.scenarios) {
          const l = s.load.find((x) => x.pool === b.pool);
          if (l !== undefined && l.rate > worst.rate) {
            worst = l;
            where = s.name;
          }
        }
        return [b.pool, b.capacity === null ? '-' : String(b.capacity), rate(b), rate(worst), where];
      }),
    ),
  );
  const flagged = r.scenarios.filter((s) => s.flagged).slice(0, top);
  for (const s of flagged) {
    out.push(heading(style, `${s.name}: where the traffic goes`, 3));
    out.push(
      renderTable(
        style,
        ['from', 'to', 'queries'],
        s.moves.slice(0, top).map((m) => [m.from, m.to, String(m.queries)]),
      ),
    );
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
  return `${out.filter((x) => x !== '').join('\n\n')}\n`;
}

function rate(l: PoolLoad): string {
  const r = l.rate >= 100 ? l.rate.toFixed(0) : l.rate.toFixed(2);
  return l.utilisation === null ? `${r}/s` : `${r}/s (${percent(l.utilisation * 100)})`;
}
