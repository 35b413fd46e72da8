/**
 * `ntshm`: boot a machine, run drivers and programs on it, inspect it.
 */
export { boot, Machine, DEFAULT_START_TIME, isoToFileTime } from './machine.js';
export type { BootOptions, VerifierOptions, SpawnOptions, RunResult, MachineStats, Process } from './machine.js';
export type { BugCheck } from './kernel/ke/bugcheck.js';
export type { Finding, LogEvent } from './kernel/kernel.js';
export type { SharedFrameRecord, SharedMappingRecord } from './kernel/sharing.js';
export { formatAddress, parseAddress } from './kernel/mm/layout.js';
export { NtException, EmulatorError } from './kernel/ke/exception.js';
