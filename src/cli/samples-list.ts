/**
 * `ntshm samples`: one line per sample (name, seed article, summary), its
 * misuse variants indented under it.
 */
import type { Scenario } from '../index.js';
import type { Colors } from './colors.js';

/** The listing, every line ending in a newline. */
export function samplesText(samples: readonly Scenario[], c: Colors): string {
  const width = Math.max(0, ...samples.map((s) => s.name.length));
  const lines: string[] = [];
  for (const s of samples) {
    lines.push(`${c.bold(s.name.padEnd(width))}  ${s.article ? `article ${s.article}` : ''}  ${s.summary}`);
    const variantWidth = Math.max(0, ...s.variants.map((v) => v.name.length));
    for (const v of s.variants) lines.push(`  --variant ${c.cyan(v.name.padEnd(variantWidth))}  ${c.dim(v.summary)}`);
  }
  return lines.map((line) => `${line}\n`).join('');
}
