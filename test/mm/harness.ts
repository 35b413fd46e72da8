/**
 * Test helpers for the memory-manager tests: a driver whose DeviceIoControl
 * runs whatever the test asks, in the calling program's process and at
 * PASSIVE_LEVEL, as a real dispatch routine would; and the invariants
 * that tie the PFN database, the reverse map and the page tables together.
 */
import {
  CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, IO_NO_INCREMENT, IRP_MJ_CLEANUP, IRP_MJ_CLOSE, IRP_MJ_CREATE,
  IRP_MJ_DEVICE_CONTROL, METHOD_NEITHER, STATUS_SUCCESS, defineDriver, type DeviceObject, type DriverObject, type Irp,
  type Nt,
} from 'ntshm/wdm';
import { GENERIC_READ, GENERIC_WRITE, INVALID_HANDLE_VALUE, OPEN_EXISTING, defineProgram, type K32 } from 'ntshm/win32';
import type { Machine, RunResult } from 'ntshm';
import type { DriverDefinition } from '../../src/api/wdm.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { PfnUse } from '../../src/kernel/mm/pfn.js';

export const IOCTL_RUN_COMMAND = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_NEITHER, FILE_ANY_ACCESS);

export interface CommandDriver {
  readonly definition: DriverDefinition;
  /** The Win32 name programs open: \\.\<name>. */
  readonly win32Name: string;
  /** The `nt` the driver received, once DriverEntry has run. */
  readonly nt: Nt | undefined;
  /** Called in IRP_MJ_CLEANUP, in the process that closes its last handle (a dying process's own context). */
  onCleanup: ((nt: Nt) => void) | undefined;
  /** Called in DriverUnload before the device goes. */
  onUnload: ((nt: Nt) => void) | undefined;
  /** Opens the device from a program; throws if it cannot. */
  open(k32: K32): number;
  /** Runs `body` inside the driver's IRP_MJ_DEVICE_CONTROL dispatch routine, in the caller's process. */
  call<T>(k32: K32, device: number, body: (nt: Nt) => T): Promise<T>;
}

export function commandDriver(name = 'NtshmTest'): CommandDriver {
  let pending: ((nt: Nt) => void) | undefined;
  const harness: CommandDriver = {
    win32Name: `\\\\.\\${name}`,
    nt: undefined,
    onCleanup: undefined,
    onUnload: undefined,
    definition: defineDriver({
      name,
      DriverEntry(nt: Nt, driverObject: DriverObject): number {
        (harness as { nt: Nt | undefined }).nt = nt;
        const deviceName = `\\Device\\${name}`;
        const link = `\\DosDevices\\${name}`;
        const { status, deviceObject } = nt.IoCreateDevice(driverObject, 0, deviceName, FILE_DEVICE_UNKNOWN, 0, false);
        if (status !== STATUS_SUCCESS || !deviceObject) return status;
        const linked = nt.IoCreateSymbolicLink(link, deviceName);
        if (linked !== STATUS_SUCCESS) {
          nt.IoDeleteDevice(deviceObject);
          return linked;
        }
        const complete = (irp: Irp) => {
          irp.IoStatus.Status = STATUS_SUCCESS;
          irp.IoStatus.Information = 0;
          nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
          return STATUS_SUCCESS;
        };
        driverObject.MajorFunction[IRP_MJ_CREATE] = function DispatchCreate(_d: DeviceObject, irp: Irp) { return complete(irp); };
        driverObject.MajorFunction[IRP_MJ_CLOSE] = function DispatchClose(_d: DeviceObject, irp: Irp) { return complete(irp); };
        driverObject.MajorFunction[IRP_MJ_CLEANUP] = function DispatchCleanup(_d: DeviceObject, irp: Irp) {
          harness.onCleanup?.(nt);
          return complete(irp);
        };
        driverObject.MajorFunction[IRP_MJ_DEVICE_CONTROL] = function DispatchControl(_d: DeviceObject, irp: Irp) {
          const command = pending;
          pending = undefined;
          command?.(nt);
          return complete(irp);
        };
        driverObject.DriverUnload = function DriverUnload(d: DriverObject) {
          harness.onUnload?.(nt);
          nt.IoDeleteSymbolicLink(link);
          if (d.DeviceObject) nt.IoDeleteDevice(d.DeviceObject);
        };
        return STATUS_SUCCESS;
      },
    }),
    open(k32: K32): number {
      const h = k32.CreateFileW(harness.win32Name, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
      if (h === INVALID_HANDLE_VALUE) throw new Error(`cannot open ${harness.win32Name}: error ${k32.GetLastError()}`);
      return h;
    },
    async call<T>(k32: K32, device: number, body: (nt: Nt) => T): Promise<T> {
      let result: { value: T } | undefined;
      pending = (nt) => { result = { value: body(nt) }; };
      const { ok } = await k32.DeviceIoControl(device, IOCTL_RUN_COMMAND, 0, 0, 0, 0);
      pending = undefined;
      if (!ok || !result) throw new Error(`the command did not run in the driver (error ${k32.GetLastError()})`);
      return result.value;
    },
  };
  return harness;
}

/**
 * Runs `body` once in the driver's dispatch routine, from a short-lived
 * program (so in a user process's context, at PASSIVE_LEVEL), and runs the
 * machine until that program has exited or the machine has stopped.
 */
export async function runInDriver<T>(machine: Machine, driver: CommandDriver, body: (nt: Nt) => T):
  Promise<{ value: T | undefined; result: RunResult; exitCode: number | undefined }> {
  let value: T | undefined;
  const process = machine.spawn(defineProgram(async (k32) => {
    const h = driver.open(k32);
    value = await driver.call(k32, h, body);
    k32.CloseHandle(h);
    return 0;
  }, 'driver-call.exe'));
  const result = await machine.run();
  return { value, result, exitCode: process.exitCode };
}

/**
 * What must hold between the PFN database, the reverse map and the page
 * tables: every frame's share count is its number of mappings; every
 * recorded mapping is a valid PTE naming that frame; no free frame is mapped.
 */
export function mappingProblems(k: Kernel): string[] {
  const problems: string[] = [];
  const pfn = k.pfn;
  for (let p = 0; p < pfn.total; p++) {
    const list = k.pageTables.mappings.get(p);
    const n = list?.length ?? 0;
    if (pfn.shareCount[p] !== n) problems.push(`PFN ${p}: share count ${pfn.shareCount[p]} but ${n} mapping(s) in the reverse map`);
    // Free yet mapped only by what a user mapping of freed pool left (pool.ts: the frame is reused at once, as on Windows).
    if (n > 0 && pfn.use[p] === PfnUse.Free && !pfn.hasStrayMappings(p)) problems.push(`PFN ${p} is free but mapped`);
    for (const m of list ?? []) {
      const root = m.root < 0 ? k.systemRoot : m.root;
      const actual = k.pageTables.frameAt(root, m.va);
      if (actual !== p) problems.push(`PFN ${p}: the reverse map says ${k.formatAddress(m.va)} maps it, the PTE says ${actual}`);
      if (m.root >= 0 && !k.ps.processByRoot(m.root)) problems.push(`PFN ${p}: mapped in a dead address space (root ${m.root})`);
    }
  }
  return problems;
}

/**
 * What must hold of the POOL_HEADERs in guest memory: every live small
 * block's header names its size and pool type, and its neighbours agree with
 * it (the previous block's BlockSize is its PreviousSize, its BlockSize is
 * the next block's PreviousSize). Big blocks (page aligned) have no header.
 */
export function poolHeaderProblems(k: Kernel): string[] {
  const problems: string[] = [];
  const unit = k.arch === 'x64' ? 16 : 8;
  const units = 4096 / unit;
  const fields = (va: number) => {
    const pfn = k.pageTables.frameAt(k.systemRoot, va);
    const w = k.memory.read32(pfn * 4096 + (va % 4096));
    return unit === 16
      ? { previous: w & 0xff, size: (w >>> 16) & 0xff, type: w >>> 24 }
      : { previous: w & 0x1ff, size: (w >>> 16) & 0x1ff, type: w >>> 25 };
  };
  for (const a of k.pool.allocations.values()) {
    if (a.address % 4096 === 0) continue;
    const entry = a.address - unit;
    const offset = (entry % 4096) / unit;
    const h = fields(entry);
    const where = k.formatAddress(entry);
    if (h.size !== a.charged / unit) problems.push(`${where}: BlockSize ${h.size}, the block has ${a.charged / unit} units`);
    if (h.type !== ((a.poolType + 1) & (unit === 16 ? 0xff : 0x7f))) problems.push(`${where}: PoolType ${h.type} for pool type ${a.poolType}`);
    if (h.previous === 0 ? offset !== 0 : fields(entry - h.previous * unit).size !== h.previous) problems.push(`${where}: PreviousSize ${h.previous} disagrees with the block before`);
    if (offset + h.size < units && fields(entry + h.size * unit).previous !== h.size) problems.push(`${where}: the next header's PreviousSize is not ${h.size}`);
  }
  return problems;
}

/** Every frame in use is paid for in commit, and (without a must-succeed charge) the charge is within the limit. */
export function commitProblems(k: Kernel): string[] {
  const c = k.pfn.commitment;
  const used = k.pfn.total - 1 - k.pfn.freeCount;
  const problems: string[] = [];
  if (used > c.total) problems.push(`${used} frames in use, only ${c.total} pages charged`);
  if (c.total > c.limit) problems.push(`charged ${c.total} past the limit ${c.limit}`);
  return problems;
}
