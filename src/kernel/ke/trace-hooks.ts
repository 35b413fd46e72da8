/**
 * Starting the trace (ke/trace.ts) when the kernel is built: the recorder,
 * and the hooks ke itself owns (the clock tick). The other layers record
 * where their events happen, behind a null check of `k.trace`.
 */
import type { KeContext } from './context.js';
import type { KernelOptions } from './options.js';
import { KeTrace } from './trace.js';

/** The recorder for a kernel booted with `trace`, its clock-tick hook in place. */
export function KiStartTrace(k: KeContext, options: KernelOptions): KeTrace {
  const trace = new KeTrace(k, { arch: options.arch, cpus: options.cpus, seed: options.seed, profile: options.profile, verifier: options.verifier });
  k.ke.tickListeners.push((tick) => trace.cpuInstant(k.current, 'clock tick', 'interrupt', { tick }));
  return trace;
}

/** The bug check, as an instant every track shows. */
export function KiTraceBugCheck(trace: KeTrace, bugcheck: { code: number; name: string; params: readonly number[] }): void {
  trace.instant(`bug check 0x${bugcheck.code.toString(16).toUpperCase()} ${bugcheck.name}`, 'bugcheck',
    { code: bugcheck.code, params: bugcheck.params.map((p) => `0x${p.toString(16)}`) }, 'g');
}
