/**
 * Where ntoskrnl's own code sits: the addresses bug checks name for the
 * kernel's routines (a system service, the worker routine of a work item).
 * ntshm keeps no nt image in memory; these fixed addresses stand for one,
 * at the base Windows 7 loads it (x64) or the classic one (x86), so that a
 * parameter reads as an nt address in kd hex.
 *
 *   base + 0x1000 + 0x40 * index   system service `index` (KiServiceTable order)
 *   base + 0x8000 + 0x40 * i       the kernel routines below, in their order
 *   base + 0x10000 + 0x100 * i     the OBJECT_TYPE of each object type below
 */
import type { Arch } from '../../hw/pte.js';

/** The base address of ntoskrnl's image. */
export function ntImageBase(arch: Arch): number {
  return arch === 'x64' ? 0xf800_0260_0000 : 0x804d_7000;
}

/** Kernel routines that bug checks name (as a work item's worker routine, say). */
export const NT_ROUTINES = ['IopLoadUnloadDriver', 'ObpProcessRemoveObjectQueue', 'PspCreateUserEnvironment', 'IoStartTimer', 'IoStopTimer',
  'KeWaitForSingleObject', 'KeWaitForMultipleObjects', 'IopProcessWorkItem', 'KeDelayExecutionThread',
  'IopInvalidDeviceRequest'] as const;
/** One of NT_ROUTINES. */
export type NtRoutine = (typeof NT_ROUTINES)[number];

/** The address standing for an nt routine. */
export function KiRoutineAddress(arch: Arch, routine: NtRoutine): number {
  return ntImageBase(arch) + 0x8000 + 0x40 * NT_ROUTINES.indexOf(routine);
}

/** The object types, by the names ObjectType gives them (OBJECT_TYPE.Name), whose OBJECT_TYPE has an address. */
export const NT_OBJECT_TYPES = ['Directory', 'SymbolicLink', 'Process', 'Thread', 'Token', 'Key', 'Section', 'Port', 'Driver', 'Device', 'File',
  'Event', 'Semaphore', 'Mutant', 'Timer'] as const;

/** The address standing for an object type's OBJECT_TYPE (what *IoFileObjectType points to); 0 for a name not listed. */
export function ObpObjectTypeAddress(arch: Arch, name: string): number {
  const index = (NT_OBJECT_TYPES as readonly string[]).indexOf(name);
  return index < 0 ? 0 : ntImageBase(arch) + 0x10000 + 0x100 * index;
}
