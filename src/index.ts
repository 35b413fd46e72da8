/**
 * `ntshm`: boot a machine, run drivers and programs on it, inspect it.
 */
export { runScenario } from './machine/run-scenario.js';
export { boot, Machine, DEFAULT_START_TIME, DEFAULT_SCENARIO_SECONDS, SCENARIO_GUARD_SECONDS, isoToFileTime } from './machine.js';
/** Types of the public API: a machine's options, run results, stats and processes; the bug-check record; log events and findings; the sharing summary. */
export { VERIFIER_OPTIONS, VERIFIER_STANDARD_FLAGS, parseVerifierList, verifierOptionsOn, type VerifierOption } from './include/verifier-flags.js';
export type { BootOptions, VerifierOptions, SpawnOptions, RunResult, MachineStats, Process, ScenarioRunOptions } from './machine.js';
export type { IoStats } from './kernel/io/io-stats.js';
export { defineScenario, isScenario, checkVariant, ScenarioError } from './scenario.js';
export type { Scenario, ScenarioDefinition, ScenarioInput, ScenarioOptions, ScenarioVariant } from './scenario.js';
export { reportJson, formatBugCheckCode, formatBugCheckParam, exitCodeText } from './report.js';
export type { Report, ReportSettings, ReportPaging, ReportProcess, ReportBugCheck, ResourceSnapshot, RunOutcome } from './report.js';
export type { BugCheck } from './kernel/ke/bugcheck.js';
/** Dumps and kd: `machine.dump()` writes one, `loadDump` reads it back into something `kd(command)` inspects (docs/api.md, "kd"). */
export { loadDump, LoadedDump } from './kd/dump.js';
export { DumpFormatError, DUMP_FORMAT_VERSION } from './kd/dump-format.js';
export { KD_COMMANDS, KD_NOT_IMPLEMENTED } from './kd/kd.js';
export type { BugCheckAnalysis, AnalysisArgument } from './kd/analysis.js';
export type { ArticleWarning } from './kd/analysis-articles.js';
export type { KdSnapshot } from './kd/snapshot.js';
export type { TraceFile, TraceEvent } from './kernel/ke/trace.js';
export type { Finding, LogEvent } from './kernel/kernel.js';
export type { SharedFrameRecord, SharedMappingRecord } from './kernel/sharing.js';
export { formatAddress, parseAddress } from './kernel/mm/layout.js';
/** The volume C:'s store (boot's `volume`): in memory here; a host folder from `ntshm/host`. */
export { MemoryVolumeStore } from './kernel/io/fs/memory-store.js';
export type { VolumeStore, VolumeEntry, VolumeEntryKind } from './include/volume-store.js';
export { NtException, MachineHalted, PublicEmulatorError as EmulatorError } from './include/errors.js';
/** Names for numbers in messages: `STATUS_ACCESS_VIOLATION (0xC0000005)`, `IRP_MJ_DEVICE_CONTROL`. */
export { ntStatusText } from './include/ntstatus.js';
export { irpMajorFunctionName } from './include/wdm-constants.js';
export { replayProgram, replayScenarioSource, type RequestReplay } from './machine/replay.js';
/** The memory picture's snapshot (Machine.memoryMap, Machine.pte) and a front end's pacing of run() (Machine.pacer). */
export type { MemoryMap, MemoryMapProcess, MemoryMapPage, MemoryMapVad, MemoryMapFrame, PteWalk, PteLevel } from './machine/memory-map.js';
export type { RunPacer } from './machine/pacer.js';
