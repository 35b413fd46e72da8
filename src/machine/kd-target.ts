/**
 * The live machine as a KdTarget: a fresh snapshot of its kernel at each
 * read, and its own physical memory (kd walks the page tables in it).
 */
import type { Kernel } from '../kernel/kernel.js';
import { KdCaptureSnapshot, type CaptureContext } from '../kd/capture.js';
import type { KdTarget } from '../kd/target.js';

/** A KdTarget over a running kernel; `context` says what the machine knows of the run (scenario, settings). */
export function liveKdTarget(k: Kernel, context: () => CaptureContext): KdTarget {
  return {
    get snapshot() {
      return KdCaptureSnapshot(k, context());
    },
    memory: k.memory,
  };
}
