/**
 * A processor: its number, its IRQL (CR8 on x64, the TPR on x86) and its MMU.
 * Which thread it runs is the kernel's business (KPRCB), not the hardware's.
 */
import type { Mmu } from './mmu.js';

/** A processor: its number, its IRQL and its MMU. */
export class Cpu {
  /** Current IRQL; the kernel raises and lowers it through KeRaiseIrql/KeLowerIrql. */
  irql = 0;
  constructor(readonly number: number, readonly mmu: Mmu) {}
}
