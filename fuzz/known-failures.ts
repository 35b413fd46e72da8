/**
 * The generator's features, and those it leaves out for now because they
 * make today's ntshm fail in a way an item of issue 7 ("Hostile guests")
 * fixes (or, marked 'new', in a way no item names yet). When an item
 * lands, delete its entries here: the campaign in `npm test` then covers
 * it (`npm run fuzz -- --all` covers everything in the meantime). Each
 * entry names the item it waits for and the failure it causes; the
 * minimal reproductions are the pending regressions in
 * test/fuzz/regressions/ (`npm run fuzz -- --known` lists this table).
 */
import { HOSTILE_KERNEL_ROUTINES, HOSTILE_VALUES, type HostileKernelRoutine, type HostileValue } from './actions.js';

/** Something the generator can produce. */
export type Feature =
  /** JavaScript values no C caller could pass (NaN, a Symbol, a Proxy ...), as arguments of k32 routines. */
  | 'hostile-arguments'
  | `hostile:${HostileValue}`
  /** The same, as the address or length of a program's memory access (k32.getUint32, getBytes ...). */
  | 'hostile-accessors'
  /** The same, as CreateFileW's file name. */
  | 'hostile-names'
  /** A program's end by throwing a hostile value (an Error whose getters throw, a Proxy ...). */
  | 'hostile-throw'
  /** A program's end by throwing an Error it named 'EmulatorError'. */
  | 'throw-named'
  /** Handle values with the two low (tag) bits set. */
  | 'tagged-handles'
  /** Lengths past 64 KiB (2**31, 2**32-1, -1, 2**32+4) for buffers and IOCTLs. */
  | 'huge-lengths'
  /** VirtualAlloc / NtAllocateVirtualMemory of huge sizes. */
  | 'commit-huge'
  /** HeapAlloc of huge sizes. */
  | 'heap-huge'
  /** ExAllocatePoolWithTag of 2**31 bytes and more. */
  | 'pool-huge'
  /** MmProbeAndLockPages of huge lengths. */
  | 'lock-huge'
  /** A 40 000-character file name. */
  | 'long-names'
  /** Driver misuses: a bug check after them is the driver's due. */
  | 'misuse:free' | 'misuse:overrun' | 'misuse:zero-huge' | 'misuse:unmap' | 'misuse:free-mdl' | 'misuse:unlock' | 'misuse:touch-user'
  | 'misuse:irql' | 'misuse:bugcheck' | 'misuse:return-hostile'
  /** IRQL left raised by a DPC or timer routine; SystemBuffer or IRP freed by the driver; a DPC that spins; page tables written; an Error named EmulatorError thrown. */
  | 'misuse:irql-dpc' | 'misuse:free-system-buffer' | 'misuse:free-irp' | 'misuse:spin' | 'misuse:page-tables' | 'misuse:throw-named'
  /** A driver passing hostile JavaScript values to one nt routine. */
  | `misuse:hostile-nt:${HostileKernelRoutine}`;

/** Every feature. */
export const FEATURES: readonly Feature[] = [
  'hostile-arguments', 'hostile-accessors', 'hostile-names', ...HOSTILE_VALUES.map((v) => `hostile:${v}` as const), 'hostile-throw', 'throw-named', 'tagged-handles', 'huge-lengths', 'commit-huge',
  'heap-huge', 'pool-huge', 'lock-huge', 'long-names', 'misuse:free', 'misuse:overrun', 'misuse:zero-huge', 'misuse:unmap', 'misuse:free-mdl',
  'misuse:unlock', 'misuse:touch-user', 'misuse:irql', 'misuse:bugcheck', 'misuse:return-hostile', 'misuse:irql-dpc',
  'misuse:free-system-buffer', 'misuse:free-irp', 'misuse:spin', 'misuse:page-tables', 'misuse:throw-named',
  ...HOSTILE_KERNEL_ROUTINES.map((r) => `misuse:hostile-nt:${r}` as const),
];

/**
 * A feature left out, the item of issue 7 whose fix lifts the exclusion
 * ('new' for a failure no item of the issue names), and what it does today.
 */
export interface KnownFailure {
  readonly feature: Feature;
  readonly item: number | 'new';
  readonly failure: string;
}

/** What the generator leaves out until the items of issue 7 land. */
export const KNOWN_FAILURES: readonly KnownFailure[] = [
  {
    feature: 'hostile-throw', item: 1,
    failure: 'a program whose main throws a Proxy (or an Error whose name getter throws) never ends: run() does not settle',
  },
  {
    feature: 'misuse:spin', item: 3,
    failure: 'a DPC routine that loops forever making kernel calls hangs the host thread (no DPC_WATCHDOG_VIOLATION 0x133): only the watchdog of npm run fuzz catches it',
  },
  {
    feature: 'misuse:page-tables', item: 4,
    failure: 'a driver writing PML4[0] = ~0 through the self-map (x64) makes run() reject with EmulatorError (physical address 0xffffffffff000 is outside installed memory) instead of a bug check',
  },
  {
    feature: 'misuse:return-hostile', item: 5,
    failure: 'a dispatch routine that returns a bigint or a Symbol: a TypeError (Cannot mix BigInt and other types) comes out of the program\'s DeviceIoControl; returning a Proxy bug checks 0x3B',
  },
  {
    feature: 'misuse:free-system-buffer', item: 7,
    failure: 'a driver that frees its IRP\'s SystemBuffer: the I/O manager frees it again, silently (no 0xC2), and the run goes on',
  },
  {
    feature: 'misuse:free-irp', item: 7,
    failure: 'a driver that frees its IRP\'s own address: nothing stops the machine',
  },
  {
    feature: 'misuse:zero-huge', item: 8,
    failure: 'RtlZeroMemory(p, -1) or (p, 2**40) throws a RangeError (Invalid typed array length) into the driver instead of faulting where the bytes run out (0x50)',
  },
  {
    feature: 'misuse:hostile-nt:ExFreePool', item: 8,
    failure: 'ExFreePool(NaN) throws a RangeError (NaN cannot be converted to a BigInt) into the driver; ExFreePool(null) a TypeError (reading \'address\')',
  },
  {
    feature: 'misuse:hostile-nt:MmUnmapLockedPages', item: 8,
    failure: 'MmUnmapLockedPages(NaN, mdl) throws a RangeError (NaN cannot be converted to a BigInt), a string a SyntaxError, into the driver',
  },
  {
    feature: 'misuse:hostile-nt:DbgPrint', item: 8,
    failure: 'DbgPrint("%p", NaN) throws a RangeError from the kernel\'s own formatting into the driver',
  },
  {
    feature: 'misuse:hostile-nt:KeBugCheckEx', item: 9,
    failure: 'KeBugCheckEx(2n ** 70n, ...) or a Symbol: a TypeError reaches the driver instead of a bug check with coerced parameters',
  },
  {
    feature: 'misuse:hostile-nt:KeRaiseIrql', item: 9,
    failure: 'KeRaiseIrql(Symbol()) throws a TypeError (Cannot convert a Symbol value to a string) into the driver',
  },
  {
    feature: 'misuse:irql-dpc', item: 10,
    failure: 'a DPC or timer routine that returns with the IRQL raised is silently repaired: the run goes on',
  },
  {
    feature: 'hostile:symbol', item: 'new',
    failure: 'a Symbol passed to any k32 routine (CloseHandle, VirtualAlloc, NtClose, Sleep ...) throws a TypeError (Cannot convert a Symbol value to a number) into the program, where the native routines refuse other values no C caller could pass with STATUS_INVALID_PARAMETER',
  },
  {
    feature: 'hostile:bigint', item: 'new',
    failure: 'a bigint passed to Sleep, SetLastError, GetStdHandle, DeviceIoControl\'s code or CreateFileW\'s access throws a TypeError (Cannot mix BigInt and other types) into the program',
  },
  {
    feature: 'hostile:hugeBigint', item: 'new',
    failure: 'as hostile:bigint, with 2n ** 70n',
  },
  {
    feature: 'hostile-names', item: 'new',
    failure: 'CreateFileW given a file name that is neither a string nor a number (true, an object, null) throws a TypeError (path.startsWith is not a function) into the program',
  },
  {
    feature: 'hostile-accessors', item: 'new',
    failure: 'k32.getBytes(va, NaN) throws a RangeError (bad length NaN), setBytes(va, null) a TypeError (not iterable), getUint32(10n) a TypeError (Cannot mix BigInt): the memory accessors refuse with host errors what an access violation or STATUS_INVALID_PARAMETER would answer',
  },
];

/** The features the generator leaves out (all known failures, unless `all`). */
export function excludedFeatures(all: boolean): ReadonlySet<Feature> {
  return new Set(all ? [] : KNOWN_FAILURES.map((k) => k.feature));
}
