/**
 * `ntshm/wdm`: what a driver is written against — defineDriver, the WDK
 * constants, status values and macros, NtException, and the types of the
 * objects a driver receives.
 */
import type { DriverObject } from '../kernel/io/objects.js';
import type { Nt } from './nt.js';

export * from '../include/wdm-constants.js';
export * from '../include/ntstatus.js';
export * from '../include/registry-constants.js';
export * from '../include/security.js';
export { macros } from './wdm-macros.js';
export { ADDRESS_AND_SIZE_TO_SPAN_PAGES } from '../kernel/mm/mdl-object.js';
export { IoGetCurrentIrpStackLocation } from '../kernel/io/irp.js';
export { NtException, MachineHalted } from '../include/errors.js';
/** Types a driver meets: `nt`, the IRP, the I/O objects, the MDL, EPROCESS, KTIMER and KDPC. */
export type { Nt } from './nt.js';
export type { Irp, IoStackLocation, IoStatusBlock, IoCompletionRoutine } from '../kernel/io/irp.js';
export type { DeviceObject, DriverDispatch, DriverObject, FileObject } from '../kernel/io/objects.js';
export type { Mdl } from '../kernel/mm/mdl-object.js';
export type { EProcess } from '../kernel/ps/process.js';
export type { KTimer } from '../kernel/ke/timer.js';
export type { TimerArgument } from './nt-timer.js';
export type { WaitStatus } from './nt-sync.js';
export type { EThread } from '../kernel/ps/thread.js';
export type { KStartRoutine } from '../kernel/io/system-thread.js';
export type { ClientId } from './nt-thread.js';
export type { Kdpc } from '../kernel/ke/dpc.js';
export type { IoWorkItem, IoWorkItemRoutine } from '../kernel/io/work-item.js';
export type { DriverCancel } from '../kernel/io/cancel.js';
export type { IoCsq, IoCsqIrpContext } from './nt-cancel.js';

import { macros } from './wdm-macros.js';
/** MmGetMdlVirtualAddress and the other MDL macros, as free functions. */
export const { MmGetMdlVirtualAddress, MmGetMdlByteCount, MmGetMdlByteOffset, MmGetMdlPfnArray, BYTE_OFFSET, PAGE_ALIGN, BYTES_TO_PAGES, InitializeObjectAttributes } = macros;
export type { ObjectAttributes } from './wdm-macros.js';

/** A driver: its service name and DriverEntry, which receives `nt` first. */
export interface DriverDefinition {
  readonly name: string;
  DriverEntry(nt: Nt, DriverObject: DriverObject, RegistryPath: string): number;
}

/** Declares a driver (the .sys a service control manager can load). */
export function defineDriver(definition: DriverDefinition): DriverDefinition {
  if (!definition || typeof definition.name !== 'string' || typeof definition.DriverEntry !== 'function') {
    throw new TypeError('defineDriver needs { name, DriverEntry(nt, DriverObject, RegistryPath) }');
  }
  return definition;
}
