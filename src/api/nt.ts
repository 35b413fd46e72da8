/**
 * `nt`: what a driver's code calls. Every routine goes through one entry
 * (`enter`), where time is charged and, with the verifier on, the
 * IRQL a routine allows is checked; caller attribution comes from the driver
 * frame the I/O manager pushed when it called into the driver.
 *
 * Parameters follow the WDK order; pure out-parameters are returned in an
 * object with the return value (docs/api.md).
 */
import { mergeParts } from './merge-parts.js';
import { tagValue, type PoolTag } from './pool-tag.js';
import { makeNtPool2 } from './nt-pool2.js';
import { isPagedPoolType } from '../kernel/mm/pool.js';
import { ExpAllocateForDriver } from '../kernel/verifier/allocation.js';
import { VfCheckFreedPoolObjects } from '../kernel/verifier/freed-pool-objects.js';
import { NtException } from '../include/errors.js';
import { COST_KERNEL_ROUTINE_NS, COST_PAUSE_NS } from '../kernel/ke/cost.js';
import { DRIVER_VERIFIER_DETECTED_VIOLATION } from '../include/bugcodes.js';
import { Kdpc } from '../kernel/ke/dpc.js';
import type { Kernel } from '../kernel/kernel.js';
import { formatDbgPrint, type DbgArg } from '../kernel/io/dbgprint.js';
import { IoCreateDevice, IoCreateSymbolicLink, IoDeleteDevice, IoDeleteSymbolicLink } from '../kernel/io/device.js';
import { callDriverRoutine } from '../kernel/io/driver-load.js';
import { IoGetCurrentIrpStackLocation, type Irp } from '../kernel/io/irp.js';
import type { DeviceObject, DriverObject, IoTimerRoutine } from '../kernel/io/objects.js';
import { ProbeForRead, ProbeForWrite } from '../kernel/ex/probe.js';
import { ADDRESS_AND_SIZE_TO_SPAN_PAGES, Mdl } from '../kernel/mm/mdl-object.js';
import { KernelMode } from '../include/wdm-constants.js';
import type { KernelObject, ObjectType } from '../kernel/ob/object.js';
import { IoFileObjectType } from '../kernel/io/objects.js';
import { ProcessType } from '../kernel/ps/process.js';
import { SeTokenObjectType } from '../kernel/se/token.js';
import { NtCurrentProcess } from '../kernel/ob/handle.js';
import { MmSectionObjectType } from '../kernel/section/object.js';
import { VfCheckHandleReference } from '../kernel/verifier/handle-reference.js';
import { VfCheckNeitherProbe } from '../kernel/verifier/neither-probe.js';
import { VfIoCheckCompleteRequest, VfIoVerifying } from '../kernel/verifier/io-verification.js';
import { VfCheckRoutineIrql, type IrqlViolation } from '../kernel/verifier/routine-irql.js';
import { VfCheckUserAccess, VfNoteUserProbe, VfWatchUserAccessors } from '../kernel/verifier/user-access.js';
import { VfSecurityChecking } from '../kernel/verifier/user-address.js';
import type { EProcess } from '../kernel/ps/process.js';
import type { DeferredRoutine } from '../kernel/ke/dpc.js';
import { NT_SUCCESS, STATUS_INVALID_HANDLE, STATUS_SUCCESS } from '../include/ntstatus.js';
import { APC_LEVEL, CTL_CODE, DISPATCH_LEVEL } from '../include/wdm-constants.js';
import { macros } from './wdm-macros.js';
import { memoryAccessors } from './memory-accessors.js';
import { makeInterlocked } from './interlocked.js';
import { makeNtSpinLock } from './nt-spinlock.js';
import { makeNtMutex } from './nt-mutex.js';
import { ExpLiveResources, makeNtResource } from './nt-resource.js';
import { makeNtSection } from './nt-section.js';
import { makeNtMdlPages } from './nt-mdl-pages.js';
import { makeNtRegistry } from './nt-registry.js';
import { makeNtFile } from './nt-file.js';
import { makeNtIrp } from './nt-irp.js';
import { makeNtCancel } from './nt-cancel.js';
import { IopNoteDangerousPrimitive } from '../kernel/io/user-request.js';
import { makeNtUserAccessors } from './nt-user-accessors.js';
import { IopNoteProbe } from '../kernel/io/neither-check.js';
import { makeNtObjects } from './nt-objects.js';
import { makeNtMdl } from './nt-mdl.js';
import { makeNtSync } from './nt-sync.js';
import { makeNtTimer } from './nt-timer.js';
import { makeNtVerifier } from './nt-verifier.js';
import { makeNtThread } from './nt-thread.js';
import type { IoWorkItem, IoWorkItemRoutine } from '../kernel/io/work-item.js';
import { handleArgument, irqlArgument, pointerArgument, sizeArgument, ulongArgument } from './driver-arguments.js';

/** Maximum IRQL of each routine, from its WDK page ("IRQL <= ..."). Checked when the verifier is on. */
const HIGH = 31;

/** A LARGE_INTEGER given as a number or a bigint. */
export type LargeInteger = number | bigint;

/** A pool tag: a ULONG or its four characters ('Shrd'). */
export type { PoolTag } from './pool-tag.js';

/** Builds the `nt` object a driver receives in DriverEntry: its kernel routines (Ex*, Io*, Ke*, Mm*, Ob*, Ps*, Rtl*, Zw*) on this kernel. */
export function makeNt(k: Kernel, driverName: string) {
  const mem = k.kernelMemory;
  /**
   * The single entry of every kernel routine: charges its time and, with the
   * verifier on, checks the IRQL where Driver Verifier has a documented
   * 0xC4 subcode for the routine (`violation`: P1, with P3 and P4).
   */
  const enter = (name: string, maxIrql: number, violation?: IrqlViolation | null, detail = 0): void => {
    k.charge(COST_KERNEL_ROUTINE_NS);
    // The classic subcode, the DDI rule, or 0xE5/0xE6, in that order (verifier/routine-irql.ts); nothing without the verifier.
    if (k.options.verifier) VfCheckRoutineIrql(k, name, maxIrql, violation, detail);
  };
  /** A pointer or SIZE_T argument as the register holds it (driver-arguments.ts). */
  const ptr = (value: unknown): number => pointerArgument(k.arch, value);
  const size = (value: unknown): number => sizeArgument(k.arch, value);
  /** Security Checks' user-access discipline (verifier/user-access.ts): fixed at boot. */
  const watchUserAccess = VfSecurityChecking(k);
  /** I/O verification (verifier/io-verification.ts), read once: a test of the option on every completion cost the IOCTL path 40%. */
  const ioVerification = VfIoVerifying(k);

  // Parts merged with Object.assign (merge-parts.ts), later ones over earlier ones.
  const nt = mergeParts(
    macros,
    {
      /** InitializeObjectAttributes with this machine's sizeof(OBJECT_ATTRIBUTES). */
      InitializeObjectAttributes: (...a: Parameters<typeof macros.InitializeObjectAttributes>) =>
        ({ ...macros.InitializeObjectAttributes(...a), Length: k.arch === 'x64' ? 0x30 : 0x18 }),
      NtException,

      // --- memory access (kernel mode, current address space) ---
    },
    // With Security Checks each raw access is checked for an unprobed user address (verifier/user-access.ts).
    watchUserAccess ? VfWatchUserAccessors(k, memoryAccessors(mem)) : memoryAccessors(mem),
    // --- Interlocked* on kernel-mode memory (interlocked.ts) ---
    makeInterlocked(mem),
    {
      /**
       * RtlZeroMemory / RtlFillMemory / RtlCopyMemory: through the MMU, page by
       * page, like the inline string instructions they are: a length past the
       * mapped memory faults where the bytes run out (driver-arguments.ts for
       * how a length or address is taken; the fill is a UCHAR).
       */
      RtlZeroMemory: (destination: number, length: number) => {
        if (watchUserAccess) VfCheckUserAccess(k, 'RtlZeroMemory', ptr(destination), size(length), true);
        mem.fill(ptr(destination), size(length), 0);
      },
      RtlFillMemory: (destination: number, length: number, fill: number) => {
        if (watchUserAccess) VfCheckUserAccess(k, 'RtlFillMemory', ptr(destination), size(length), true);
        mem.fill(ptr(destination), size(length), fill & 0xff);
      },
      RtlCopyMemory: (destination: number, source: number, length: number) => {
        if (watchUserAccess) {
          VfCheckUserAccess(k, 'RtlCopyMemory', ptr(source), size(length), false);
          VfCheckUserAccess(k, 'RtlCopyMemory', ptr(destination), size(length), true);
        }
        mem.copy(ptr(destination), ptr(source), size(length));
      },

      // --- debug output ---
      /** DbgPrint: one line of the machine's log per line of output. */
      DbgPrint(format: string, ...args: DbgArg[]): number {
        enter('DbgPrint', HIGH);
        const text = formatDbgPrint(format, args, k.layout.pointerSize);
        for (const line of text.split('\n')) if (line.trim() !== '') k.emit('dbgprint', k.currentProcess.ImageFileName, line);
        return STATUS_SUCCESS;
      },
      KdPrint(format: string, ...args: DbgArg[]): number {
        return nt.DbgPrint(format, ...args);
      },

      // --- pool ---
      ExAllocatePool(poolType: number, numberOfBytes: number): number {
        return nt.ExAllocatePoolWithTag(poolType, numberOfBytes, 'None');
      },
      ExAllocatePoolWithTag(poolType: number, numberOfBytes: number, tag: PoolTag): number {
        // 0xC4/0x01 paged above APC_LEVEL, 0x02 nonpaged above DISPATCH_LEVEL (P3 the pool type, P4 the size); the DDI rule reads the pool type.
        const paged = (poolType & 1) !== 0;
        enter('ExAllocatePoolWithTag', paged ? APC_LEVEL : DISPATCH_LEVEL,
          k.options.verifier ? [paged ? 0x01 : 0x02, poolType >>> 0, size(numberOfBytes)] : undefined, poolType >>> 0);
        return ExpAllocateForDriver(k, poolType, numberOfBytes, tagValue(tag));
      },
      ExFreePool(p: number | KernelObject | Mdl): void {
        nt.ExFreePoolWithTag(p, 0);
      },
      /** Accepts the address or an object that lives in pool (an MDL, docs/api.md). */
      ExFreePoolWithTag(p: number | KernelObject | Mdl, tag: PoolTag): void {
        const address = ptr(typeof p === 'object' && p !== null ? p.address : p);
        // 0xC4/0x11 paged pool above APC_LEVEL, 0x12 nonpaged above DISPATCH_LEVEL (P3 the pool type, P4 the address).
        if (k.options.verifier) {
          const paged = k.pool.isPagedPoolAddress(address);
          enter('ExFreePoolWithTag', paged ? APC_LEVEL : DISPATCH_LEVEL, [paged ? 0x11 : 0x12, paged ? 1 : 0, address]);
          // 0xC4/0x15 a set KTIMER in the block, 0xC4/0xD2 an ERESOURCE never deleted (verifier/freed-pool-objects.ts).
          VfCheckFreedPoolObjects(k, address, ExpLiveResources(k));
        } else {
          enter('ExFreePoolWithTag', DISPATCH_LEVEL);
        }
        if (p instanceof Mdl || k.mdl.live.has(address)) k.mdl.live.delete(address);
        // Every check (not pool, not allocated, wrong tag, corrupt header) is the pool's: mm/pool-check.ts.
        const freed = k.pool.free(address, tag === 0 ? 0 : tagValue(tag));
        k.verifierStatistics?.free(address, freed.owner, isPagedPoolType(freed.poolType), freed.numberOfBytes);
      },

      // --- MDLs, I/O space, physical addresses (nt-mdl.ts) ---
    },
    makeNtMdl(k, enter),
    {

      // --- devices and IRPs ---
      IoCreateDevice(driverObject: DriverObject, deviceExtensionSize: number, deviceName: string | null, deviceType: number,
        deviceCharacteristics: number, exclusive: boolean) {
        enter('IoCreateDevice', 0);
        return IoCreateDevice(k, driverObject, deviceExtensionSize, deviceName, deviceType, deviceCharacteristics, exclusive);
      },
      IoDeleteDevice(deviceObject: DeviceObject): void {
        enter('IoDeleteDevice', 0);
        IoDeleteDevice(k, deviceObject);
      },
      IoCreateSymbolicLink(symbolicLinkName: string, deviceName: string): number {
        enter('IoCreateSymbolicLink', 0);
        return IoCreateSymbolicLink(k, symbolicLinkName, deviceName);
      },
      IoDeleteSymbolicLink(symbolicLinkName: string): number {
        enter('IoDeleteSymbolicLink', 0);
        return IoDeleteSymbolicLink(k, symbolicLinkName);
      },
      IoGetCurrentIrpStackLocation,
      IoCompleteRequest(irp: Irp, priorityBoost: number): void {
        // I/O verification's checks (0xC9: IRQL, a pending status, a cancel routine left set) come before the IRQL rule.
        if (ioVerification) VfIoCheckCompleteRequest(k, irp);
        enter('IoCompleteRequest', DISPATCH_LEVEL);
        // METHOD_NEITHER's system-space address never probed: 0xC4/0xE3 with the verifier (verifier/neither-probe.ts).
        VfCheckNeitherProbe(k, irp);
        k.io.IoCompleteRequest(irp, priorityBoost);
      },
      IofCompleteRequest(irp: Irp, priorityBoost: number): void {
        nt.IoCompleteRequest(irp, priorityBoost);
      },
      IoInitializeTimer(deviceObject: DeviceObject, timerRoutine: IoTimerRoutine, context: unknown): number {
        enter('IoInitializeTimer', 0);
        return k.io.timers.IoInitializeTimer(deviceObject, timerRoutine, context);
      },
      IoStartTimer(deviceObject: DeviceObject): void {
        enter('IoStartTimer', DISPATCH_LEVEL);
        k.io.timers.IoStartTimer(deviceObject);
      },
      IoStopTimer(deviceObject: DeviceObject): void {
        enter('IoStopTimer', DISPATCH_LEVEL);
        k.io.timers.IoStopTimer(deviceObject);
      },

      // --- time ---
      /** KeQuerySystemTime reads KUSER_SHARED_DATA.SystemTime, as Windows does. */
      KeQuerySystemTime(): { currentTime: bigint } {
        enter('KeQuerySystemTime', HIGH);
        return { currentTime: k.sharedUserData.readSystemTime(0x14) };
      },
      KeQueryInterruptTime(): bigint {
        enter('KeQueryInterruptTime', HIGH);
        return k.sharedUserData.readSystemTime(0x08);
      },
      // The out-parameter is CurrentCount: https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kequerytickcount
      KeQueryTickCount(): { currentCount: bigint } {
        enter('KeQueryTickCount', HIGH);
        return { currentCount: k.sharedUserData.readSystemTime(0x320) };
      },
      KeQueryTimeIncrement: (): number => (enter('KeQueryTimeIncrement', HIGH), 156_250),
      /** ExSystemTimeToLocalTime: LocalTime = SystemTime - TimeZoneBias. */
      ExSystemTimeToLocalTime(systemTime: LargeInteger): { localTime: bigint } {
        enter('ExSystemTimeToLocalTime', HIGH);
        return { localTime: BigInt.asUintN(64, BigInt(systemTime) - k.sharedUserData.readSystemTime(0x20)) };
      },
      ExLocalTimeToSystemTime(localTime: LargeInteger): { systemTime: bigint } {
        enter('ExLocalTimeToSystemTime', HIGH);
        return { systemTime: BigInt.asUintN(64, BigInt(localTime) + k.sharedUserData.readSystemTime(0x20)) };
      },

      // --- IRQL, DPCs, timers ---
      KeGetCurrentIrql: (): number => (enter('KeGetCurrentIrql', HIGH), k.irql),
      /** KeGetCurrentProcessorNumber: the KPRCB number of the CPU the caller runs on. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kegetcurrentprocessornumber */
      KeGetCurrentProcessorNumber: (): number => (enter('KeGetCurrentProcessorNumber', HIGH), k.current.number),
      /** YieldProcessor / KeStallExecutionProcessor's unit of spinning: the PAUSE instruction, about 40 ns. */
      YieldProcessor: (): void => k.charge(COST_PAUSE_NS),
      /** KeStallExecutionProcessor: spins MicroSeconds (a ULONG) at any IRQL. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kestallexecutionprocessor */
      KeStallExecutionProcessor(microSeconds: number): void {
        enter('KeStallExecutionProcessor', HIGH);
        k.ke.KeStallExecutionProcessor(ulongArgument(k.arch, microSeconds));
      },
      /** With the verifier, a NewIrql below the current one or past HIGH_LEVEL is 0xC4/0x30 (P2 the IRQL, P3 the one asked) before the HAL's 0x9. */
      KeRaiseIrql(newIrql: number): { oldIrql: number } {
        k.charge(COST_KERNEL_ROUTINE_NS);
        if (k.verifierStatistics !== null) k.verifierStatistics.counters.RaiseIrqls++;
        const requested = irqlArgument(k.arch, newIrql);
        if (k.options.verifier && (requested < k.irql || requested > k.ke.highLevel)) {
          k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x30, k.irql, requested, 0, `KeRaiseIrql was asked to go from IRQL ${k.irql} to ${requested}, which is not a raise.`);
        }
        return { oldIrql: k.ke.KeRaiseIrql(requested) };
      },
      KeRaiseIrqlToDpcLevel(): number {
        k.charge(COST_KERNEL_ROUTINE_NS);
        if (k.verifierStatistics !== null) k.verifierStatistics.counters.RaiseIrqls++;
        return k.ke.KeRaiseIrql(DISPATCH_LEVEL);
      },
      /** With the verifier, a NewIrql above the current one is 0xC4/0x31 (P2 the IRQL, P3 the one asked, P4 0: the new IRQL is bad) before 0xA. */
      KeLowerIrql(newIrql: number): void {
        k.charge(COST_KERNEL_ROUTINE_NS);
        const requested = irqlArgument(k.arch, newIrql);
        if (k.options.verifier && requested > k.irql) {
          k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x31, k.irql, requested, 0, `KeLowerIrql was asked to go from IRQL ${k.irql} to ${requested}, which is not a lowering.`);
        }
        k.ke.KeLowerIrql(requested);
      },
      /** KeInitializeDpc: the caller's KDPC storage is the returned object. */
      KeInitializeDpc(deferredRoutine: DeferredRoutine, deferredContext: unknown): { dpc: Kdpc } {
        enter('KeInitializeDpc', HIGH);
        // The driver is looked up when the DPC runs: DriverEntry may initialise DPCs before it is registered.
        const wrapped: DeferredRoutine = (dpc, ctx, a1, a2) => {
          const driver = k.io.drivers.get(driverName.toUpperCase()) ?? k.io.unloadedDrivers.get(driverName.toUpperCase());
          if (!driver) return deferredRoutine(dpc, ctx, a1, a2);
          callDriverRoutine(k, driver, deferredRoutine, 'DeferredRoutine', 'dpc', () => deferredRoutine(dpc, ctx, a1, a2));
        };
        return { dpc: new Kdpc(wrapped, deferredContext, `${driverName}!${deferredRoutine.name || 'DeferredRoutine'}`) };
      },
      KeInsertQueueDpc(dpc: Kdpc, systemArgument1: unknown, systemArgument2: unknown): boolean {
        enter('KeInsertQueueDpc', HIGH);
        return k.ke.KeInsertQueueDpc(dpc, systemArgument1, systemArgument2);
      },
      /**
       * KeSetTargetProcessorDpc: the CPU (a CCHAR, zero-based) whose queue the DPC goes to when next inserted; a
       * number past the last CPU queues it to the inserting CPU (docs/fidelity.md).
       * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kesettargetprocessordpc
       */
      KeSetTargetProcessorDpc(dpc: Kdpc, number: number): void {
        enter('KeSetTargetProcessorDpc', HIGH);
        dpc.targetProcessor = ulongArgument(k.arch, number) & 0xff;
      },
      KeRemoveQueueDpc(dpc: Kdpc): boolean {
        enter('KeRemoveQueueDpc', HIGH);
        return k.ke.KeRemoveQueueDpc(dpc);
      },
      // --- spin locks (nt-spinlock.ts) ---
    },
    // --- timers, dispatcher objects of their own (nt-timer.ts) ---
    makeNtTimer(k, enter),
    makeNtSpinLock(k, driverName, enter),
    // --- fast mutexes, critical regions (nt-mutex.ts) ---
    makeNtMutex(k, driverName, enter),
    makeNtResource(k, driverName, enter),
    makeNtVerifier(k, enter),
    // --- ExAllocatePool2 and the zeroing wrappers (nt-pool2.ts) ---
    makeNtPool2(k, enter),
    {

      // --- processes and exceptions ---
      PsGetCurrentProcess: (): EProcess => (enter('PsGetCurrentProcess', HIGH), k.currentProcess),
      IoGetCurrentProcess: (): EProcess => (enter('IoGetCurrentProcess', HIGH), k.currentProcess),
      PsGetCurrentProcessId: (): number => (enter('PsGetCurrentProcessId', HIGH), k.currentProcess.UniqueProcessId),
      PsGetCurrentThreadId: (): number => (enter('PsGetCurrentThreadId', HIGH), k.currentThread.Cid),
      PsGetProcessId: (process: EProcess): number => (enter('PsGetProcessId', HIGH), process.UniqueProcessId),
      KeStackAttachProcess(process: EProcess): { apcState: { process: EProcess } } {
        enter('KeStackAttachProcess', APC_LEVEL);
        // Another process, named by a program's request: the caller picks whose memory the kernel works on.
        if (k.io.userRequest.thread !== null && process !== k.currentProcess) {
          IopNoteDangerousPrimitive(k, 'attach-process', `attached to ${process.ImageFileName} (pid ${process.UniqueProcessId}), another process than the caller's`,
            [BigInt(process.UniqueProcessId)]);
        }
        return { apcState: k.ps.KeStackAttachProcess(process) };
      },
      KeUnstackDetachProcess(apcState: { process: EProcess }): void {
        enter('KeUnstackDetachProcess', APC_LEVEL);
        k.ps.KeUnstackDetachProcess(apcState);
      },
      KeBugCheckEx(bugCheckCode: number, p1: number, p2: number, p3: number, p4: number): never {
        return k.bugCheck(bugCheckCode, p1, p2, p3, p4, `${driverName} called KeBugCheckEx.`);
      },
      ExRaiseStatus(status: number): never {
        throw new NtException(status >>> 0);
      },
      ProbeForRead(address: number, length: number, alignment: number): void {
        enter('ProbeForRead', APC_LEVEL);
        IopNoteProbe(k, pointerArgument(k.arch, address));
        ProbeForRead(k, pointerArgument(k.arch, address), sizeArgument(k.arch, length), ulongArgument(k.arch, alignment));
        if (watchUserAccess) VfNoteUserProbe(k, pointerArgument(k.arch, address), sizeArgument(k.arch, length));
      },
      ProbeForWrite(address: number, length: number, alignment: number): void {
        enter('ProbeForWrite', APC_LEVEL);
        IopNoteProbe(k, pointerArgument(k.arch, address));
        ProbeForWrite(k, pointerArgument(k.arch, address), sizeArgument(k.arch, length), ulongArgument(k.arch, alignment));
        if (watchUserAccess) VfNoteUserProbe(k, pointerArgument(k.arch, address), sizeArgument(k.arch, length));
      },

      // --- objects and handles ---
      ObReferenceObject(object: KernelObject): void {
        enter('ObReferenceObject', DISPATCH_LEVEL);
        k.ob.ObReferenceObject(object);
      },
      ObDereferenceObject(object: KernelObject): void {
        enter('ObDereferenceObject', DISPATCH_LEVEL);
        k.ob.ObDereferenceObject(object);
      },
      /** `{ status, object }`: Object is the one out-parameter (NULL on failure); HandleInformation is one drivers pass as NULL. */
      ObReferenceObjectByHandle(handle: number, desiredAccess: number, objectType: ObjectType | null, accessMode: number): { status: number; object: KernelObject | null } {
        enter('ObReferenceObjectByHandle', APC_LEVEL);
        // https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-obreferenceobjectbyhandle
        // A user handle referenced as KernelMode: 0xC4/0xF6 with the verifier, a finding without (verifier/handle-reference.ts).
        VfCheckHandleReference(k, handleArgument(k.arch, handle), objectType, accessMode);
        const r = k.ob.ObReferenceObjectByHandle(handleArgument(k.arch, handle), desiredAccess, objectType, accessMode, k.currentProcess);
        return { status: r.status, object: r.object ?? null };
      },
      ZwClose(handle: number): number {
        enter('ZwClose', 0);
        return k.ob.closeHandle(handleArgument(k.arch, handle), KernelMode, k.currentProcess);
      },
      ZwAllocateVirtualMemory(processHandle: number, baseAddress: number, _zeroBits: number, regionSize: number, allocationType: number, protect: number) {
        enter('ZwAllocateVirtualMemory', 0);
        if (processHandle !== NtCurrentProcess) return { status: STATUS_INVALID_HANDLE, baseAddress, regionSize };
        return k.vm.NtAllocateVirtualMemory(k.currentProcess, baseAddress, regionSize, allocationType, protect);
      },
      ZwFreeVirtualMemory(processHandle: number, baseAddress: number, regionSize: number, freeType: number) {
        enter('ZwFreeVirtualMemory', 0);
        if (processHandle !== NtCurrentProcess) return { status: STATUS_INVALID_HANDLE, baseAddress, regionSize };
        return k.vm.NtFreeVirtualMemory(k.currentProcess, baseAddress, regionSize, freeType);
      },
      NtCurrentProcess: (): number => NtCurrentProcess,
      // --- the registry, and drivers loaded by service key (nt-registry.ts) ---
    },
    makeNtRegistry(k, enter),
    // --- sections (nt-section.ts) ---
    makeNtSection(k, enter),
    makeNtMdlPages(k, enter),
    // --- files of the volume C: (nt-file.ts) ---
    makeNtFile(k, enter),
    // --- IRPs between drivers: device stacks, IoCallDriver, completion routines (nt-irp.ts) ---
    makeNtIrp(k, enter),
    makeNtCancel(k, enter),
    makeNtUserAccessors(k, enter),
    // --- the object namespace and security: directories, links, IoCreateDeviceSecure (nt-objects.ts) ---
    makeNtObjects(k, enter),
    // --- events, semaphores, mutexes and waits (nt-sync.ts) ---
    makeNtSync(k, enter),
    // --- System threads (nt-thread.ts) ---
    makeNtThread(k, driverName, enter),
    {
      /** Object types drivers pass to ObReferenceObjectByHandle (*IoFileObjectType, *PsProcessType, *SeTokenObjectType, *MmSectionObjectType). */
      IoFileObjectType,
      MmSectionObjectType,
      PsProcessType: ProcessType,
      SeTokenObjectType,

      // --- work items: routines a System worker thread runs at PASSIVE_LEVEL (io/work-item.ts) ---
      /** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-ioallocateworkitem */
      IoAllocateWorkItem(DeviceObject: DeviceObject): IoWorkItem | null {
        enter('IoAllocateWorkItem', DISPATCH_LEVEL);
        if (k.lowResources.active && k.lowResources.VfFailAllocation('IoAllocateWorkItem')) return null;
        return k.io.workItems.IoAllocateWorkItem(DeviceObject);
      },
      /** QueueType (CriticalWorkQueue, DelayedWorkQueue) is accepted and makes no difference. https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-ioqueueworkitem */
      IoQueueWorkItem(IoWorkItem: IoWorkItem, WorkerRoutine: IoWorkItemRoutine, _QueueType: number, Context: unknown): void {
        enter('IoQueueWorkItem', DISPATCH_LEVEL);
        k.io.workItems.IoQueueWorkItem(IoWorkItem, WorkerRoutine, Context);
      },
      /** https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iofreeworkitem */
      IoFreeWorkItem(IoWorkItem: IoWorkItem): void {
        enter('IoFreeWorkItem', DISPATCH_LEVEL);
        k.io.workItems.IoFreeWorkItem(IoWorkItem);
      },

      CTL_CODE,
      NT_SUCCESS,
      ADDRESS_AND_SIZE_TO_SPAN_PAGES,
    },
  );
  return nt;
}

/** The object a driver's DriverEntry receives. */
export type Nt = ReturnType<typeof makeNt>;
