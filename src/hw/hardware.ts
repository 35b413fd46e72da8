/**
 * The hardware of one machine: physical memory, the virtual clock, the seed,
 * and the processors, each with its MMU. Built first; the kernel runs on it.
 */
import { Clock } from './clock.js';
import { Cpu } from './cpu.js';
import { Mmu } from './mmu.js';
import { PhysicalMemory } from './physical-memory.js';
import { pagingFormat, type Arch, type PagingFormat } from './pte.js';
import { SeededRandom } from './random.js';

/** What the hardware is built from. */
export interface HardwareOptions {
  arch: Arch;
  memoryMiB: number;
  cpus: number;
  seed: number;
  /** Virtual nanoseconds one memory access costs. */
  accessNs: number;
}

/** Memory, clock, seed and CPUs of one machine. */
export class Hardware {
  readonly format: PagingFormat;
  readonly memory: PhysicalMemory;
  readonly clock: Clock;
  readonly random: SeededRandom;
  readonly cpus: readonly Cpu[];

  constructor(options: HardwareOptions) {
    this.format = pagingFormat(options.arch);
    this.memory = new PhysicalMemory(options.memoryMiB * 1024 * 1024);
    this.clock = new Clock(options.accessNs);
    this.random = new SeededRandom(options.seed);
    this.cpus = Array.from({ length: options.cpus }, (_, i) => new Cpu(i, new Mmu(this.memory, this.format)));
  }
}
