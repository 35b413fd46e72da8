/**
 * `!analyze -v`: a bug check explained the way WinDbg explains one: the
 * code's name and description, each argument with its meaning, the driver
 * and routine at fault, the stack of driver routines, a failure bucket; and,
 * where a seed article warns about exactly this, its warning.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/-analyze
 */
import type { BugCheck } from '../kernel/ke/bugcheck.js';
import { articleWarning, type ArticleWarning } from './analysis-articles.js';
import { bugCheckParamText } from './analysis-params.js';
import { hex, ulongPtr } from './format.js';

/** One argument: kd's hex, and what it means for this code. */
export interface AnalysisArgument {
  value: string;
  meaning: string;
}

/** The analysis the report (`bugcheck.analysis`) and `!analyze -v` give. */
export interface BugCheckAnalysis {
  /** What the code means, in the WDK page's words. */
  description: string;
  args: [AnalysisArgument, AnalysisArgument, AnalysisArgument, AnalysisArgument];
  /** The driver (its image name, `SharingMemory.sys`) and routine at fault: the innermost driver frame; null when no driver routine was running. */
  image: string | null;
  module: string | null;
  symbol: string | null;
  /** The driver routines on the stack, innermost first (`SharingMemory!DispatchControl`). */
  stack: string[];
  /** `0xC4_7F_SharingMemory!DispatchControl`, as !analyze names a failure. */
  failureBucket: string;
  /** The process whose context the machine stopped in. */
  processName: string | null;
  /** A seed article's warning about exactly this, or null. */
  article: ArticleWarning | null;
}

/** Where the bug check happened: the scenario that ran and the process the machine was in. */
export interface AnalysisContext {
  arch: 'x64' | 'x86';
  scenario: string | null;
  processName: string | null;
}

/** The analysis of a bug check. */
export function analyzeBugCheck(b: BugCheck, context: AnalysisContext): BugCheckAnalysis {
  const text = bugCheckParamText(b.code, b.params[0]);
  const value = (i: number): string => ulongPtr(context.arch, b.exact?.[i] ?? b.params[i] ?? 0);
  // The WDK's tables say "0" for a parameter that is always zero: kd's line reads better saying so.
  const meaning = (i: number): string => (text?.params[i] === '0' ? 'Always 0' : text?.params[i] ?? 'Reserved');
  const arg = (i: number): AnalysisArgument => ({ value: value(i), meaning: meaning(i) });
  const top = b.stack[0] ?? null;
  const module = top ? (top.split('!')[0] ?? null) : null;
  const subcode = b.code === 0xc4 || b.code === 0xc9 || b.code === 0x1a ? `_${hex(b.params[0]).toUpperCase()}` : '';
  return {
    description: text?.summary ?? 'ntshm has no description of this code.',
    args: [arg(0), arg(1), arg(2), arg(3)],
    image: module ? `${module}.sys` : null,
    module,
    symbol: top,
    stack: [...b.stack],
    failureBucket: `0x${hex(b.code).toUpperCase()}${subcode}_${top ?? 'nt'}`,
    processName: context.processName,
    article: articleWarning(b.code, b.params[0], context.scenario),
  };
}

const BANNER = [
  '*******************************************************************************',
  '*                                                                             *',
  '*                        Bugcheck Analysis                                    *',
  '*                                                                             *',
  '*******************************************************************************',
];

/** Wraps a paragraph at 79 columns, as !analyze's descriptions are. */
function wrap(text: string, width = 79): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** `!analyze -v`'s text for a bug check and its analysis. */
export function analyzeText(b: BugCheck, a: BugCheckAnalysis): string[] {
  const lines = [...BANNER, '', `${b.name} (${hex(b.code)})`, ...wrap(a.description), 'Arguments:'];
  a.args.forEach((arg, i) => lines.push(`Arg${i + 1}: ${arg.value}, ${arg.meaning}`));
  lines.push('', 'Debugging Details:', '------------------', '');
  lines.push(`BUGCHECK_CODE:  ${hex(b.code)}`, '');
  b.params.forEach((_, i) => lines.push(`BUGCHECK_P${i + 1}: ${(a.args[i]?.value ?? '').replace(/^0+(?=.)/, '')}`, ''));
  if (a.processName) lines.push(`PROCESS_NAME:  ${a.processName}`, '');
  lines.push('NTSHM_EXPLANATION: ', ...wrap(b.explanation).map((l) => `  ${l}`), '');
  lines.push('STACK_TEXT:  ');
  if (a.stack.length === 0) lines.push('  (no driver routine was running)');
  a.stack.forEach((frame, i) => lines.push(`${hex(i, 2)} ${frame}`));
  lines.push('');
  if (a.symbol) lines.push(`SYMBOL_NAME:  ${a.symbol}`, '', `MODULE_NAME: ${a.module ?? ''}`, '', `IMAGE_NAME:  ${a.image ?? ''}`, '');
  lines.push(`FAILURE_BUCKET_ID:  ${a.failureBucket}`, '');
  if (a.article) {
    lines.push(`SEED_ARTICLE:  ${a.article.seed}: ${a.article.title}`);
    lines.push(...wrap(`"${a.article.quote}"`).map((l) => `  ${l}`));
    lines.push(...wrap(a.article.why).map((l) => `  ${l}`), '');
  }
  lines.push('Followup:     MachineOwner', '---------');
  return lines;
}
