/**
 * KUSER_SHARED_DATA: the page the kernel shares with every process. The
 * kernel maps it read-write at fffff780`00000000 (x86: ffdf0000); every
 * process sees the same frame read-only at 7ffe0000. The clock interrupt
 * keeps the time there with the KSYSTEM_TIME protocol: the writer stores
 * High2Time, then LowPart, then High1Time; a reader takes High1Time, LowPart,
 * High2Time and retries until the two highs agree, so it never sees a torn
 * 64-bit value without a lock.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/ntddk/ns-ntddk-kuser_shared_data
 */
import { PAGE_READONLY } from '../../include/memory-constants.js';
import { PAGE_SIZE } from '../../hw/physical-memory.js';
import { EmulatorError } from '../../include/errors.js';
import type { MmContext, MmProcess } from './context.js';
import { CLOCK_TICK_100NS } from '../ke/cost.js';
import { PfnUse } from './pfn.js';
import { newVad } from './vad.js';

/** Field offsets, the same on x64 and x86. */
export const KUSER = {
  TickCountLowDeprecated: 0x000,
  TickCountMultiplier: 0x004,
  InterruptTime: 0x008,
  SystemTime: 0x014,
  TimeZoneBias: 0x020,
  ImageNumberLow: 0x02c,
  ImageNumberHigh: 0x02e,
  NtSystemRoot: 0x030,
  NtProductType: 0x264,
  ProductTypeIsValid: 0x268,
  NtMajorVersion: 0x26c,
  NtMinorVersion: 0x270,
  NumberOfPhysicalPages: 0x2e8,
  TickCount: 0x320,
} as const;

/** A KSYSTEM_TIME reader's retry: it pauses this long, and gives up after this many (past two clock ticks). */
const SPIN_NS = 1000;
const MAX_SPINS = 40_000;

/** KSYSTEM_TIME: LowPart, High1Time, High2Time. */
const LOW = 0;
const HIGH1 = 4;
const HIGH2 = 8;

/** KUSER_SHARED_DATA: its frame, the kernel mapping, each process's read-only view, and the time fields the clock updates. */
export class SharedUserData {
  readonly pfn: number;
  private readonly base: number;

  constructor(private readonly k: MmContext) {
    const pfn = k.pfn.removeZeroPage(PfnUse.SharedUserData);
    if (pfn < 0) throw new EmulatorError('no frame for KUSER_SHARED_DATA');
    this.pfn = pfn;
    this.base = pfn * PAGE_SIZE;
    // KeUpdateSystemTime writes the shared page at every tick.
    k.ke.tickListeners.push((tick) => this.updateTime(tick));
    k.pageTables.MiWriteValidPte(k.systemRoot, k.layout.kernelSharedData, pfn, { writable: true, executable: false, user: false }, undefined);
    const o = k.options;
    const m = k.memory;
    m.write32(this.base + KUSER.TickCountMultiplier, 0x0fa00000);
    this.writeSystemTime(KUSER.TimeZoneBias, BigInt(o.timeZoneBiasMinutes) * 600_000_000n);
    m.view.setUint16(this.base + KUSER.ImageNumberLow, k.arch === 'x64' ? 0x8664 : 0x14c, true);
    m.view.setUint16(this.base + KUSER.ImageNumberHigh, k.arch === 'x64' ? 0x8664 : 0x14c, true);
    const root = o.profile === 'nt4' ? 'C:\\WINNT' : 'C:\\Windows';
    for (let i = 0; i < root.length; i++) m.view.setUint16(this.base + KUSER.NtSystemRoot + i * 2, root.charCodeAt(i), true);
    m.write32(this.base + KUSER.NtProductType, 1); // NtProductWinNt
    m.write32(this.base + KUSER.ProductTypeIsValid, 1);
    m.write32(this.base + KUSER.NtMajorVersion, o.profile === 'nt4' ? 4 : 10);
    m.write32(this.base + KUSER.NtMinorVersion, 0);
    m.write32(this.base + KUSER.NumberOfPhysicalPages, k.memory.frameCount);
    this.updateTime(0);
  }

  /** Maps the page read-only at 7ffe0000 in a process, as a one-page VAD. */
  mapInto(process: MmProcess): boolean {
    const va = this.k.layout.userSharedData;
    process.VadRoot.insert(newVad(va, va + PAGE_SIZE, 'shared-user-data', PAGE_READONLY, PAGE_READONLY));
    return this.k.pageTables.MiWriteValidPte(process.DirectoryTableBase, va, this.pfn, { writable: false, executable: false, user: true }, process.pageTableFrames);
  }

  /** KeUpdateSystemTime's part: interrupt time, system time and tick count for tick `tick` since boot. */
  updateTime(tick: number): void {
    const interrupt = BigInt(tick) * BigInt(CLOCK_TICK_100NS);
    this.writeSystemTime(KUSER.InterruptTime, interrupt);
    this.writeSystemTime(KUSER.SystemTime, this.k.options.bootSystemTime + interrupt);
    this.writeSystemTime(KUSER.TickCount, BigInt(tick));
    this.k.memory.write32(this.base + KUSER.TickCountLowDeprecated, tick >>> 0);
  }

  /** Reads a KSYSTEM_TIME with the protocol (KeQuerySystemTime, KeQueryInterruptTime). */
  readSystemTime(offset: number): bigint {
    const m = this.k.memory;
    const pa = this.base + offset;
    for (let attempt = 0; ; attempt++) {
      const high1 = m.read32(pa + HIGH1);
      const low = m.read32(pa + LOW);
      // A reader that keeps losing the race spins until the next tick rewrites the fields; one
      // that cannot see a tick (the fields were scribbled over inside an interrupt) gives up.
      if (high1 === m.read32(pa + HIGH2) || attempt >= MAX_SPINS) return (BigInt(high1) << 32n) | BigInt(low);
      this.k.charge(SPIN_NS);
    }
  }

  private writeSystemTime(offset: number, value: bigint): void {
    const m = this.k.memory;
    const pa = this.base + offset;
    const high = Number((value >> 32n) & 0xffff_ffffn);
    m.write32(pa + HIGH2, high);
    m.write32(pa + LOW, Number(value & 0xffff_ffffn));
    m.write32(pa + HIGH1, high);
  }
}
