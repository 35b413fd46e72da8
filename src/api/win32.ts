/**
 * `ntshm/win32`: what a program is written against — defineProgram, the
 * Win32 constants and error values, NtException.
 */
import type { K32 } from './k32.js';

export * from '../include/win32-constants.js';
export * from '../include/winerror.js';
export * from '../include/registry-constants.js';
export { NtException, MachineHalted } from '../include/errors.js';
/** OVERLAPPED's layout (x64 and x86: size, Internal, InternalHigh, Offset, OffsetHigh, hEvent), for a program that lays one out. */
export { OVERLAPPED } from '../include/structures.js';
/** Types a program meets: `k32`, SYSTEMTIME, FILETIME, SERVICE_STATUS and MEMORY_BASIC_INFORMATION. */
export type { K32, SystemTime, FileTime } from './k32.js';
export type { ServiceStatus } from '../include/svcctl.js';
export type { MemoryBasicInformation } from '../include/struct-access.js';

/** A program's main: receives k32 and its arguments, resolves to the exit code. */
export type ProgramMain = (k32: K32, argv: string[]) => Promise<number> | number;

/** A program, as defineProgram makes it: its main and its image name (undefined: the name it is spawned with). */
export interface ProgramDefinition {
  readonly main: ProgramMain;
  readonly name: string | undefined;
}

/** Declares a program; `name` is its image name (defaults to the spawn name). */
export function defineProgram(main: ProgramMain, name?: string): ProgramDefinition {
  if (typeof main !== 'function') throw new TypeError('defineProgram needs an async function (k32, argv) => exitCode');
  return { main, name };
}
