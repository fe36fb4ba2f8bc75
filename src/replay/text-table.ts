// Rows → an aligned terminal table or a Markdown table: the two human formats of whatif and
// scenarios share their content and differ only here.
export type TableStyle = 'table' | 'markdown';

export function renderTable(style: TableStyle, header: readonly string[], rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  if (style === 'markdown') {
    const esc = (c: string): string => c.replace(/\|/g, '\\|');
    const line = (cells: readonly string[]): string => `| ${cells.map(esc).join(' | ')} |`;
    return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** A section heading in either style. */
export function heading(style: TableStyle, text: string, level = 2): string {
  return style === 'markdown' ? `${'#'.repeat(level + 1)} ${text}` : `${text}\n${'='.repeat(Math.min(text.length, 78))}`;
}

export function percent(n: number): string {
  return `${n.toFixed(n >= 10 || n === 0 ? 1 : 2)}%`;
}
