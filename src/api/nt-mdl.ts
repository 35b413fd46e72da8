/**
 * The MDL routines of `nt` (IoAllocateMdl, MmProbeAndLockPages,
 * MmProbeAndLockProcessPages, MmUnlockPages, MmMapLockedPagesSpecifyCache,
 * IoBuildPartialMdl, ...), MmMapIoSpace/MmUnmapIoSpace and
 * MmGetPhysicalAddress, spread into `nt`. The work is mm's (mm/mdl.ts,
 * mdl-lock.ts, mdl-map.ts, io-space.ts); here are the arguments as a driver
 * passes them and the IRQL each routine allows.
 */
import { IopNoteDangerousPrimitive } from '../kernel/io/user-request.js';
import { DRIVER_VERIFIER_DETECTED_VIOLATION } from '../include/bugcodes.js';
import { APC_LEVEL, DISPATCH_LEVEL, KernelMode } from '../include/wdm-constants.js';
import type { Irp } from '../kernel/io/irp.js';
import type { Kernel } from '../kernel/kernel.js';
import { MmGetPhysicalAddress } from '../kernel/mm/io-space.js';
import type { Mdl } from '../kernel/mm/mdl-object.js';
import type { EProcess } from '../kernel/ps/process.js';
import { pointerArgument, sizeArgument, ulongArgument } from './driver-arguments.js';
import { VfCheckMapFlags, VfCheckProbeAndLockFlags } from '../kernel/verifier/mdl-flags.js';

const HIGH = 31;

/** A LARGE_INTEGER given as a number or a bigint. */
type LargeInteger = number | bigint;

/** The MDL routines of one driver's `nt`; `enter` is nt's single entry (time, IRQL check with the verifier's subcode). */
export function makeNtMdl(k: Kernel, enter: (name: string, maxIrql: number, violation?: readonly [number, number, number]) => void) {
  const mdlAddress = (mdl: Mdl | number | null): number => (typeof mdl === 'number' ? mdl : mdl?.address ?? 0);
  const ptr = (value: unknown): number => pointerArgument(k.arch, value);
  return {
    IoAllocateMdl(virtualAddress: number, length: number, secondaryBuffer: boolean, chargeQuota: boolean, irp: Irp | null): Mdl | null {
      enter('IoAllocateMdl', DISPATCH_LEVEL);
      if (k.lowResources.active && k.lowResources.VfFailAllocation('IoAllocateMdl')) return null;
      return k.mdl.IoAllocateMdl(virtualAddress, length, secondaryBuffer, chargeQuota, irp);
    },
    IoFreeMdl(mdl: Mdl | number | null): void {
      enter('IoFreeMdl', DISPATCH_LEVEL);
      k.mdl.IoFreeMdl(mdl);
    },
    MmBuildMdlForNonPagedPool(mdl: Mdl | number | null): void {
      enter('MmBuildMdlForNonPagedPool', DISPATCH_LEVEL);
      k.mdl.MmBuildMdlForNonPagedPool(mdl);
    },
    MmProbeAndLockPages(mdl: Mdl | number | null, accessMode: number, operation: number): void {
      enter('MmProbeAndLockPages', DISPATCH_LEVEL, [0x70, mdlAddress(mdl), accessMode]);
      VfCheckProbeAndLockFlags(k, k.mdl.resolve(mdl), 'MmProbeAndLockPages');
      k.mdl.MmProbeAndLockPages(mdl, accessMode, operation);
    },
    MmUnlockPages(mdl: Mdl | number | null): void {
      enter('MmUnlockPages', DISPATCH_LEVEL, [0x78, mdlAddress(mdl), 0]);
      k.mdl.MmUnlockPages(mdl);
    },
    MmMapLockedPagesSpecifyCache(mdl: Mdl | number | null, accessMode: number, cacheType: number, requestedAddress: number,
      bugCheckOnFailure: boolean, priority: number): number {
      enter('MmMapLockedPagesSpecifyCache', accessMode === KernelMode ? DISPATCH_LEVEL : APC_LEVEL, [accessMode === KernelMode ? 0x76 : 0x77, mdlAddress(mdl), accessMode]);
      if (k.options.verifier && bugCheckOnFailure && accessMode === KernelMode) {
        const m = k.mdl.resolve(mdl);
        k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x82, m.address, m.MdlFlags, 0, 'MmMapLockedPagesSpecifyCache was called with BugCheckOnFailure = TRUE.');
      }
      if (accessMode === KernelMode) VfCheckMapFlags(k, k.mdl.resolve(mdl));
      return k.mdl.MmMapLockedPagesSpecifyCache(mdl, accessMode, cacheType, requestedAddress ?? 0, bugCheckOnFailure, priority);
    },
    /** MmMapLockedPages: MmCached, no requested address, bug check on kernel-mode failure. */
    MmMapLockedPages(mdl: Mdl | number | null, accessMode: number): number {
      enter('MmMapLockedPages', accessMode === KernelMode ? DISPATCH_LEVEL : APC_LEVEL, [accessMode === KernelMode ? 0x76 : 0x77, mdlAddress(mdl), accessMode]);
      if (accessMode === KernelMode) VfCheckMapFlags(k, k.mdl.resolve(mdl));
      return k.mdl.MmMapLockedPagesSpecifyCache(mdl, accessMode, 1, 0, true, 16);
    },
    MmUnmapLockedPages(baseAddress: number, mdl: Mdl | number | null): void {
      baseAddress = ptr(baseAddress);
      const kernelVa = baseAddress >= k.layout.systemRangeStart;
      enter('MmUnmapLockedPages', kernelVa ? DISPATCH_LEVEL : APC_LEVEL, [kernelVa ? 0x79 : 0x7a, baseAddress, mdlAddress(mdl)]);
      // The verifier tracks the MDLs it saw mapped: a freed one (a second release) maps nothing: 0xC4/0xB6, P2 the MDL.
      const stale = mdlAddress(mdl);
      if (k.options.verifier && stale !== 0 && k.pool.isPoolAddress(stale) && !k.mdl.live.has(stale)) {
        k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xb6, stale, 0, 0, `MmUnmapLockedPages was given the MDL at ${k.formatAddress(stale)}, which was freed: nothing is mapped through it any more.`);
      }
      k.mdl.MmUnmapLockedPages(baseAddress, mdl);
    },
    MmGetSystemAddressForMdlSafe(mdl: Mdl | number | null, priority: number): number {
      enter('MmGetSystemAddressForMdlSafe', DISPATCH_LEVEL);
      // A NULL MDL (Irp->MdlAddress of direct I/O with a zero-length buffer) faults reading its MdlFlags, as the macro does.
      return k.mdl.MmGetSystemAddressForMdlSafe(mdl, priority);
    },

    /**
     * MmProbeAndLockProcessPages: MmProbeAndLockPages in the address space of
     * Process, attached to it for the probe (KeStackAttachProcess) when it is
     * not the current one; Mdl->Process is that process.
     * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmprobeandlockprocesspages
     */
    MmProbeAndLockProcessPages(mdl: Mdl | number | null, process: EProcess, accessMode: number, operation: number): void {
      // 0xC4/0x71: IRQL, MDL, process.
      enter('MmProbeAndLockProcessPages', DISPATCH_LEVEL, [0x71, mdlAddress(mdl), process.address]);
      VfCheckProbeAndLockFlags(k, k.mdl.resolve(mdl), 'MmProbeAndLockProcessPages');
      if (process === k.currentProcess) return k.mdl.MmProbeAndLockPages(mdl, accessMode, operation);
      const apcState = k.ps.KeStackAttachProcess(process);
      try {
        k.mdl.MmProbeAndLockPages(mdl, accessMode, operation);
      } finally {
        k.ps.KeUnstackDetachProcess(apcState);
      }
    },
    /** IoBuildPartialMdl (mm/mdl.ts). https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iobuildpartialmdl */
    IoBuildPartialMdl(sourceMdl: Mdl | number | null, targetMdl: Mdl | number | null, virtualAddress: number, length: number): void {
      enter('IoBuildPartialMdl', DISPATCH_LEVEL);
      k.mdl.IoBuildPartialMdl(sourceMdl, targetMdl, ptr(virtualAddress), ulongArgument(k.arch, length));
    },
    /** MmPrepareMdlForReuse, a wdm.h macro. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmpreparemdlforreuse */
    MmPrepareMdlForReuse(mdl: Mdl | number | null): void {
      k.mdl.MmPrepareMdlForReuse(mdl);
    },
    /** MmProtectMdlSystemAddress. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmprotectmdlsystemaddress */
    MmProtectMdlSystemAddress(mdl: Mdl | number | null, newProtect: number): number {
      enter('MmProtectMdlSystemAddress', DISPATCH_LEVEL);
      return k.mdl.MmProtectMdlSystemAddress(mdl, ulongArgument(k.arch, newProtect));
    },
    /** MmGetPhysicalAddress: a PHYSICAL_ADDRESS (bigint), 0 for an address not valid. https://learn.microsoft.com/windows-hardware/drivers/ddi/ntddk/nf-ntddk-mmgetphysicaladdress */
    MmGetPhysicalAddress(baseAddress: number): bigint {
      enter('MmGetPhysicalAddress', HIGH);
      return MmGetPhysicalAddress(k, ptr(baseAddress));
    },
    /** MmMapIoSpace: system PTEs to installed physical frames; NULL otherwise. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmmapiospace */
    MmMapIoSpace(physicalAddress: LargeInteger, numberOfBytes: number, cacheType: number): number {
      const pa = BigInt.asUintN(64, BigInt(physicalAddress));
      const bytes = sizeArgument(k.arch, numberOfBytes);
      // 0xC4/0x73: IRQL, the physical address (its low 32 bits on x86), the size.
      enter('MmMapIoSpace', DISPATCH_LEVEL, [0x73, Number(k.arch === 'x86' ? BigInt.asUintN(32, pa) : pa), bytes]);
      const va = k.mdl.ioSpace.MmMapIoSpace(pa, bytes, cacheType);
      // Physical memory mapped at an address a program's request gave: a primitive the program drives.
      if (va !== 0 && k.io.userRequest.thread !== null) {
        IopNoteDangerousPrimitive(k, 'physical-memory', `mapped ${bytes} bytes of physical memory at 0x${pa.toString(16)} with MmMapIoSpace`, [pa, pa & ~0xfffn]);
      }
      return va;
    },
    /** MmUnmapIoSpace. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmunmapiospace */
    MmUnmapIoSpace(baseAddress: number, numberOfBytes: number): void {
      const va = ptr(baseAddress);
      const bytes = sizeArgument(k.arch, numberOfBytes);
      // 0xC4/0x7B: IRQL above APC_LEVEL; the address and the size.
      enter('MmUnmapIoSpace', APC_LEVEL, [0x7b, va, bytes]);
      k.mdl.ioSpace.MmUnmapIoSpace(va, bytes);
    },
  };
}
