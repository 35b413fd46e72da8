/**
 * `ntshm`: boot a machine, run drivers and programs on it, inspect it.
 */
export { boot, Machine, DEFAULT_START_TIME, isoToFileTime } from './machine.js';
/** Types of the public API: a machine's options, run results, stats and processes; the bug-check record; log events and findings; the sharing summary. */
export type { BootOptions, VerifierOptions, SpawnOptions, RunResult, MachineStats, Process } from './machine.js';
export type { BugCheck } from './kernel/ke/bugcheck.js';
export type { Finding, LogEvent } from './kernel/kernel.js';
export type { SharedFrameRecord, SharedMappingRecord } from './kernel/sharing.js';
export { formatAddress, parseAddress } from './kernel/mm/layout.js';
export { NtException, EmulatorError } from './include/errors.js';
