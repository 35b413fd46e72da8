/**
 * The processors of the machine as the kernel sees them (KPRCBs), which of
 * them is executing now, and the switch from one to another: a context
 * switch loads the thread's address space into that CPU's CR3.
 */
import type { Cpu } from '../../hw/cpu.js';
import { Prcb } from './prcb.js';
import type { KThread } from './thread.js';

/** The KPRCBs and the one whose code executes now. */
export class Processors<T extends KThread = KThread> {
  readonly prcbs: Prcb<T>[];
  /** The CPU whose code is executing now. */
  current: Prcb<T>;
  /** Called before every switch: caches above the MMU (guest-memory page caches) must forget. */
  beforeSwitch: () => void = () => {};

  constructor(cpus: readonly Cpu[]) {
    this.prcbs = cpus.map((cpu, i) => new Prcb<T>(i, cpu));
    this.current = this.prcbs[0]!;
  }

  /** Makes `prcb` the executing CPU and loads its thread's address space (SwapContext). */
  switchTo(prcb: Prcb<T>): void {
    this.beforeSwitch();
    this.current = prcb;
    const root = prcb.currentThread.apcProcess.DirectoryTableBase;
    if (prcb.cpu.mmu.cr3 !== root) prcb.cpu.mmu.loadCr3(root); // same address space: no CR3 write, as SwapContext
  }
}
