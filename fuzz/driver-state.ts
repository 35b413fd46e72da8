/**
 * The fuzz driver's state and what it needs of the fuzzer: its pool blocks,
 * MDLs, user mappings, timers and DPCs (the fuzzer reads the mappings back
 * as a program's 'mapped' pointers), and where an action runs.
 */
import type { EProcess, FileObject, Irp, KTimer, Kdpc, Mdl } from '../src/api/wdm.js';
import type { DriverAction, HandleChoice, LengthChoice, PointerChoice } from './actions.js';

/** The tag of the fuzz driver's pool. */
export const TAG = 'Fuzz';

/** What the driver needs from the fuzzer: the actions behind a run IOCTL, and where to report. */
export interface FuzzDriverHost {
  /** The actions a program queued under `id`, with the pointer and handle values it resolved for them. */
  takeCall(id: number): { actions: readonly DriverAction[]; resolve: Resolver } | undefined;
  /** One driver call made (counted as a call of the campaign). */
  counted(): void;
  /** A misuse is about to run: from now on a bug check is the driver's due. */
  misuse(what: string, mustStop: boolean): void;
  /** What the driver is doing, for the report of a bug check. */
  setInFlight(what: string | undefined): void;
  /** Something other than an NT exception came out of a kernel routine. */
  hostError(where: string, error: unknown): void;
}

/** Turns a program's pointer, length or handle choice into the value it passes. */
export interface Resolver {
  pointer(choice: PointerChoice): unknown;
  length(choice: LengthChoice): unknown;
  handle(choice: HandleChoice): unknown;
}

export interface Block { readonly va: number; readonly size: number; readonly paged: boolean; live: boolean }
export interface MdlRecord {
  readonly mdl: Mdl;
  readonly block: Block | undefined;
  live: boolean;
  /** Locked user pages: the process and file object they were locked through. */
  locked: { pid: number; file: FileObject | null } | undefined;
  systemVa: number;
}
/** A user mapping the driver made: where, for whom, through which file object. */
export interface UserMapping { readonly record: MdlRecord; readonly pid: number; readonly va: number; readonly size: number; readonly readOnly: boolean; readonly file: FileObject | null; live: boolean }

/** Where an action runs: at PASSIVE_LEVEL in a dispatch routine (with its file object), or at DISPATCH_LEVEL. */
export interface Context {
  readonly dispatch: boolean;
  /** The IRP of the dispatch routine (depth 0 only). */
  readonly irp?: Irp;
  readonly file: FileObject | null;
  readonly resolve: Resolver;
  readonly depth: number;
  /** Run by at-dispatch or attach, whose own code restores the IRQL and the process after. */
  readonly wrapped?: boolean;
}

/** The driver's state, visible to the fuzzer (which reads it back as a program's 'mapped' pointers). */
export class FuzzDriverState {
  readonly blocks: Block[] = [];
  readonly mdls: MdlRecord[] = [];
  readonly mappings: UserMapping[] = [];
  readonly timers: { timer: KTimer; dpc: Kdpc }[] = [];
  readonly dpcs: Kdpc[] = [];
  readonly processes: EProcess[] = [];
  ioTimerActions: { actions: readonly DriverAction[]; resolve: Resolver } | undefined;
  ioTimerRunning = false;
}

