/**
 * The benchmark's table: one row a figure, with the host's own timing beside
 * the emulated one, the target of the performance targets (README, Performance) and whether it is met.
 */

export interface Row {
  figure: string;
  /** The emulated timing. */
  measured: string;
  /** The host's timing of the same work ('' where the figure is absolute). */
  host: string;
  /** The figure compared with the target. */
  value: string;
  target: string;
  /** undefined for diagnostic rows, which have no target. */
  pass: boolean | undefined;
}

export function printTable(rows: readonly Row[]): void {
  const header: Row = { figure: 'figure', measured: 'emulated', host: 'host', value: 'value', target: 'target', pass: undefined };
  const cells = (r: Row): string[] => [r.figure, r.measured, r.host, r.value, r.target, r === header ? 'result' : r.pass === undefined ? '' : r.pass ? 'PASS' : 'MISS'];
  const all = [header, ...rows].map(cells);
  const widths = all[0]!.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(all[0]!));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of all.slice(1)) console.log(line(r));
}
