/**
 * fast-check arbitraries for scenarios: programs of valid, boundary and
 * hostile calls, and the driver actions they ask the fuzz driver for. What
 * is known to fail today (fuzz/known-failures.ts) is left out unless asked
 * for, so that the campaign in `npm test` stays green until the fixes land.
 */
import fc from 'fast-check';
import {
  HOSTILE_KERNEL_ROUTINES, HOSTILE_ROUTINES, HOSTILE_VALUES, type DriverAction, type HandleChoice, type HostileValue, type IoctlChoice, type LengthChoice,
  type PointerChoice, type ProgramAction, type ProgramEnd, type ProgramScript, type Scenario,
} from './actions.js';
import type { Feature } from './known-failures.js';

/** What the generator may produce: every feature but those excluded. */
export interface GeneratorOptions {
  readonly excluded: ReadonlySet<Feature>;
  /** Actions per program, at most. */
  readonly maxActions: number;
  readonly maxPrograms: number;
}

const on = (o: GeneratorOptions, f: Feature): boolean => !o.excluded.has(f);
/** fc.oneof with relative weights (tenths allowed); a weight of 0 leaves the choice out. */
const weighted = <T>(...entries: [number, fc.Arbitrary<T>][]): fc.Arbitrary<T> =>
  fc.oneof(...entries.filter(([w]) => w > 0).map(([w, arbitrary]) => ({ weight: Math.round(w * 10), arbitrary })));

const PAGE = 4096;
const hostileValues = (o: GeneratorOptions): HostileValue[] => HOSTILE_VALUES.filter((v) => on(o, `hostile:${v}`));
/** A hostile value; drawn only where `withHostile` allows (with every value left out, there is none to draw). */
const hostile = (o: GeneratorOptions): fc.Arbitrary<HostileValue> => {
  const values = hostileValues(o);
  return fc.constantFrom(...(values.length > 0 ? values : HOSTILE_VALUES));
};
/** Whether a feature that passes hostile values is on, and has values to pass. */
const withHostile = (o: GeneratorOptions, f: Feature): boolean => on(o, f) && hostileValues(o).length > 0;

/** Boundary lengths: zero, one, a page either side, the wrapped ones (2**32-1, -1), beyond 32 bits. */
const BOUNDARY_LENGTHS = [0, 1, 3, 4, 7, 8, 16, 64, 255, 256, PAGE - 1, PAGE, PAGE + 1, 2 * PAGE, 65536, -1];
/** Lengths past 32 bits or near them: rare, as the I/O manager builds a gigabyte's MDL for some before the probe fails. */
const HUGE_LENGTHS = [2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 4];

const length = (o: GeneratorOptions, huge: boolean): fc.Arbitrary<LengthChoice> => weighted<LengthChoice>(
  [6, fc.integer({ min: 0, max: 2 * PAGE })],
  [3, fc.constantFrom(...BOUNDARY_LENGTHS)],
  [huge ? 0.3 : 0, fc.constantFrom(...HUGE_LENGTHS)],
  [withHostile(o, 'hostile-arguments') ? 1 : 0, hostile(o).map((h) => ({ hostile: h }))],
);

/**
 * What a driver locks: mostly a buffer's worth, now and then gigabytes (an
 * MDL for 2 GiB is a 4 MiB array of frame numbers: costly to build, so rare).
 */
const lockLength = (o: GeneratorOptions): fc.Arbitrary<LengthChoice> => weighted<LengthChoice>(
  [30, fc.integer({ min: 0, max: 4 * PAGE })],
  [6, fc.constantFrom(0, 1, PAGE - 1, PAGE, PAGE + 1, 65536, -1)],
  [on(o, 'lock-huge') ? 1 : 0, fc.constantFrom(2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32)],
  [withHostile(o, 'hostile-arguments') ? 1 : 0, hostile(o).map((h) => ({ hostile: h }))],
);

/** Raw pointer values: NULL, the user bounds, KUSER_SHARED_DATA, misaligned, wrapped, non-canonical. */
const POINTER_VALUES = [0, 1, 0xfff, 0x1000, 0x10000, 0x10001, 0x7ffe_0000, 0x7ffe_0ffc, 0x7ffe_ffff, 0x7fff_0000, 0x8000_0000, 0xffff_ffff, -1, -4096, 2 ** 47 - 1, 2 ** 47, 2 ** 53, 0xdead_beef];

const pointer = (o: GeneratorOptions, hostileOk = withHostile(o, 'hostile-arguments')): fc.Arbitrary<PointerChoice> => {
  const pick = fc.nat({ max: 64 });
  const offset = weighted([8, fc.integer({ min: 0, max: PAGE })], [1, fc.constantFrom(PAGE * 16, 2 ** 20, -1, -PAGE)]);
  return weighted<PointerChoice>(
    [10, fc.record({ at: fc.constant('region' as const), pick, offset })],
    [2, fc.record({ at: fc.constant('freed' as const), pick, offset })],
    [3, fc.record({ at: fc.constant('mapped' as const), pick, offset })],
    [1, fc.record({ at: fc.constant('foreign' as const), pick, offset })],
    [2, fc.record({ at: fc.constant('kernel' as const), which: fc.constantFrom('pool' as const, 'shared' as const, 'systemStart' as const, 'top' as const, 'pageTables' as const) })],
    [2, fc.record({ at: fc.constant('value' as const), value: fc.constantFrom(...POINTER_VALUES) })],
    [hostileOk ? 1 : 0, hostile(o).map((value) => ({ at: 'hostile' as const, value }))],
  );
};
const ACCESSORS: readonly string[] = ['getUint32', 'setUint32', 'getBytes', 'setBytes'];

/** Raw handle values: NULL, the pseudo-handles, untagged and tagged values, kernel handles, past 32 bits. */
const HANDLE_VALUES = [0, -1, -2, 3, 4, 5, 8, 0x400, 0x7ffc, -(2 ** 31) + 4, 2 ** 31 + 4, 2 ** 32 - 4, 2 ** 32 + 4, 0xffff_fffc];

const handle = (o: GeneratorOptions): fc.Arbitrary<HandleChoice> => weighted<HandleChoice>(
  [8, fc.record({ h: fc.constant('open' as const), kind: fc.constantFrom('fuzz' as const, 'sample' as const, 'key' as const, 'any' as const), pick: fc.nat({ max: 16 }) })],
  [2, fc.record({ h: fc.constant('closed' as const), pick: fc.nat({ max: 16 }) })],
  [2, fc.record({ h: fc.constant('foreign' as const), pick: fc.nat({ max: 16 }) })],
  [2, fc.record({ h: fc.constant('value' as const), value: fc.constantFrom(...HANDLE_VALUES.filter((v) => on(o, 'tagged-handles') || v % 4 === 0 || v < 0)) })],
  [withHostile(o, 'hostile-arguments') ? 1 : 0, hostile(o).map((value) => ({ h: 'hostile' as const, value }))],
);

const PROTECTIONS = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x104, 0x204, 0x404, 0, 0x3, 0xffff_ffff];
const ALLOCATION_TYPES = [0x3000, 0x1000, 0x2000, 0x103000, 0x80000, 0x4000, 0x8000, 0, 0xffff_ffff];
const FREE_TYPES = [0x8000, 0x4000, 0xc000, 0, 0x1000];

/**
 * Driver actions, at `depth` (0: the dispatch routine at PASSIVE_LEVEL; 1:
 * a DPC, timer or I/O timer routine, or a raised IRQL, at DISPATCH_LEVEL).
 * A well-behaved driver does only what the WDK allows where it is; a
 * misbehaving one (`misbehaving`) also misuses the kernel, and calls at
 * DISPATCH_LEVEL what only PASSIVE_LEVEL allows.
 */
export function driverAction(o: GeneratorOptions, depth: number, misbehaving: boolean): fc.Arbitrary<DriverAction> {
  const key = `${depth}${misbehaving}`;
  let byKey = driverActions.get(o);
  if (!byKey) driverActions.set(o, (byKey = new Map()));
  const known = byKey.get(key);
  if (known) return known;
  const made = makeDriverAction(o, depth, misbehaving);
  byKey.set(key, made);
  return made;
}

/** Arbitraries are built once per options (building one costs more than drawing from it). */
const driverActions = new WeakMap<GeneratorOptions, Map<string, fc.Arbitrary<DriverAction>>>();

function makeDriverAction(o: GeneratorOptions, depth: number, misbehaving: boolean): fc.Arbitrary<DriverAction> {
  const pick = fc.nat({ max: 32 });
  const nested = depth < 1 ? fc.array(driverAction(o, depth + 1, misbehaving), { maxLength: 4 }) : fc.constant([]);
  const driverSize = weighted<LengthChoice>([8, fc.integer({ min: 0, max: 3 * PAGE })], [1, fc.constantFrom(0, 1, PAGE, 2 * PAGE + 1, 65536)],
    [on(o, 'pool-huge') ? 0.2 : 0, fc.constantFrom(2 ** 31, 2 ** 32 - 1, 2 ** 40)]);
  const misuse = (f: Feature, w = 1) => (misbehaving && on(o, f) ? w : 0);
  const hostileMisuse = (f: Feature) => (misbehaving && withHostile(o, f) ? 1 : 0);
  /** Weight of an action only PASSIVE_LEVEL allows: at DISPATCH_LEVEL, a misuse. */
  const passive = (w: number) => (depth === 0 ? w : misbehaving ? 1 : 0);
  const pools = depth === 0 || misbehaving ? fc.constantFrom('nonpaged' as const, 'paged' as const, 'nonpagedNx' as const) : fc.constantFrom('nonpaged' as const, 'nonpagedNx' as const);
  return weighted<DriverAction>(
    [8, fc.record({ d: fc.constant('alloc' as const), pool: pools, size: driverSize })],
    [6, fc.record({ d: fc.constant('free' as const), pick })],
    [misuse('misuse:free'), fc.record({ d: fc.constant('free' as const), pick, misuse: fc.constantFrom('twice' as const, 'middle' as const, 'user' as const, 'never-pool' as const) })],
    [4, fc.record({ d: fc.constant('fill' as const), pick, offset: fc.nat({ max: 3 * PAGE }), length: fc.nat({ max: 3 * PAGE }) })],
    [misuse('misuse:overrun'), fc.record({ d: fc.constant('fill' as const), pick, offset: fc.nat({ max: PAGE }), length: fc.integer({ min: 1, max: 64 }), misuse: fc.constant('overrun' as const) })],
    [misuse('misuse:zero-huge'), fc.record({ d: fc.constant('zero' as const), length: fc.constantFrom<LengthChoice>(-1, 2 ** 40, 2 ** 33), misuse: fc.constant('huge' as const) })],
    [5, fc.record({ d: fc.constant('mdl' as const), pick })],
    [passive(5), fc.record({ d: fc.constant('map-user' as const), pick, readOnly: fc.boolean() })],
    [2, fc.record({ d: fc.constant('map-system' as const), pick })],
    [passive(4), fc.record({ d: fc.constant('unmap-user' as const), pick })],
    [misuse('misuse:unmap'), fc.record({ d: fc.constant('unmap-user' as const), pick, misuse: fc.constantFrom('other-process' as const, 'twice' as const) })],
    [3, fc.record({ d: fc.constant('free-mdl' as const), pick })],
    [misuse('misuse:free-mdl'), fc.record({ d: fc.constant('free-mdl' as const), pick, misuse: fc.constantFrom('twice' as const, 'still-mapped' as const) })],
    [depth === 0 ? 4 : 0, fc.record({ d: fc.constant('lock-user' as const), buffer: pointer(o), length: lockLength(o), write: fc.boolean() })],
    [passive(3), fc.record({ d: fc.constant('unlock' as const), pick })],
    [misuse('misuse:unlock'), fc.record({ d: fc.constant('unlock' as const), pick, misuse: fc.constantFrom('twice' as const, 'other-process' as const) })],
    [passive(3), fc.record({ d: fc.constant('probe-read' as const), buffer: pointer(o), length: length(o, true) })],
    [misuse('misuse:touch-user'), fc.record({ d: fc.constant('touch-user' as const), buffer: pointer(o), misuse: fc.constant('unprobed' as const) })],
    [depth === 0 ? 2 : 0, fc.record({ d: fc.constant('dpc' as const), actions: nested })],
    [depth === 0 ? 2 : 0, fc.record({ d: fc.constant('timer' as const), dueMs: fc.integer({ min: 0, max: 50 }), periodMs: fc.constantFrom(0, 0, 10, 16), actions: nested })],
    [1, fc.record({ d: fc.constant('cancel-timer' as const), pick })],
    [depth === 0 ? 1 : 0, fc.record({ d: fc.constant('io-timer' as const), start: fc.boolean(), actions: nested })],
    [depth === 0 ? 2 : 0, fc.record({ d: fc.constant('at-dispatch' as const), actions: nested })],
    [depth === 0 ? 1 : 0, fc.record({
      d: fc.constant('attach' as const), pick,
      actions: fc.array(weighted<DriverAction>(
        [3, fc.record({ d: fc.constant('alloc' as const), pool: fc.constant('nonpaged' as const), size: driverSize })],
        [2, fc.record({ d: fc.constant('free' as const), pick })],
        [2, fc.record({ d: fc.constant('probe-read' as const), buffer: pointer(o), length: length(o, false) })],
      ), { maxLength: 3 }),
    })],
    [passive(2), fc.record({ d: fc.constant('reference-handle' as const), handle: handle(o), userMode: fc.boolean() })],
    [misuse(depth === 0 ? 'misuse:irql' : 'misuse:irql-dpc'), fc.constant({ d: 'leave-irql-raised' as const, misuse: 'irql' as const })],
    [depth === 0 ? misuse('misuse:free-system-buffer') : 0, fc.constant({ d: 'free-system-buffer' as const, misuse: 'double-free' as const })],
    [depth === 0 ? misuse('misuse:free-irp') : 0, fc.constant({ d: 'free-irp' as const, misuse: 'irp' as const })],
    [depth === 1 ? misuse('misuse:spin', 0.2) : 0, fc.constant({ d: 'spin' as const, misuse: 'spin' as const })],
    [misuse('misuse:page-tables', 0.3), fc.constant({ d: 'write-page-tables' as const, misuse: 'page-tables' as const })],
    [misuse('misuse:throw-named', 0.3), fc.constant({ d: 'throw-named' as const, misuse: 'throw' as const })],
    [misuse('misuse:bugcheck'), fc.constant({ d: 'bugcheck' as const, misuse: 'deliberate' as const })],
    [HOSTILE_KERNEL_ROUTINES.some((r) => hostileMisuse(`misuse:hostile-nt:${r}`) > 0) ? 1 : 0, fc.record({
      d: fc.constant('hostile-call' as const),
      // (Drawn only when one of them is on.)
      routine: fc.constantFrom(...HOSTILE_KERNEL_ROUTINES.filter((r) => on(o, `misuse:hostile-nt:${r}`)), 'ExAllocatePoolWithTag' as const),
      value: hostile(o), misuse: fc.constant('hostile' as const),
    })],
    [hostileMisuse('misuse:return-hostile'), fc.record({ d: fc.constant('return-hostile' as const), value: hostile(o), misuse: fc.constant('hostile' as const) })],
  );
}

const BOGUS_NAMES = [
  '', 'x', '\\\\.\\Nope', '\\\\.\\', '\\\\.\\FuzzDrv\\extra', '\\\\?\\GLOBALROOT\\Device\\FuzzDrv', 'C:\\fuzz.txt', '\\\\.\\FUZZDRV',
  '\\\\.\\SharingMemory\\x', '\\\\.\\PhysicalMemory', 'a'.repeat(300), '\\\\.\\a\u0000b',
];
const LONG_NAME = 'n'.repeat(40_000);
const REGISTRY_NAMES = ['SOFTWARE\\Fuzz', 'SOFTWARE\\Fuzz\\A', 'SOFTWARE\\Fuzz\\A\\B', 'Fuzz', '', 'SYSTEM', 'SOFTWARE\\\\x', 'a'.repeat(300), 'SOFTWARE\\Fuzz\\\u0000'];

/** One program call. */
export function programAction(o: GeneratorOptions, misbehaving: boolean): fc.Arbitrary<ProgramAction> {
  const n = weighted([10, fc.constant(1)], [4, fc.integer({ min: 2, max: 8 })], [2, fc.integer({ min: 9, max: 40 })]);
  const withN = <T extends object>(a: fc.Arbitrary<T>) => fc.tuple(a, n).map(([x, times]) => (times === 1 ? x : { ...x, n: times }));
  const ioctl: fc.Arbitrary<IoctlChoice> = fc.constantFrom('echo-buffered', 'echo-in-direct', 'echo-out-direct', 'echo-neither', 'write-only', 'sample', 'unknown', 'other-device-type');
  const len = length(o, on(o, 'huge-lengths'));
  const actions = fc.array(driverAction(o, 0, misbehaving), { minLength: 1, maxLength: 6 });
  const names = [...BOGUS_NAMES, ...(on(o, 'long-names') ? [LONG_NAME] : [])];
  return weighted<ProgramAction>(
    [4, withN(fc.record({
      k: fc.constant('open' as const), target: fc.constantFrom('fuzz' as const, 'fuzz' as const, 'sample' as const, 'bogus' as const), name: fc.constantFrom(...names),
      access: fc.constantFrom(0x80000000, 0xc0000000, 0x40000000, 0, 0x10000000, 0x02000000), disposition: fc.constantFrom(3, 3, 3, 1, 2, 4, 5, 0, 6, -1),
    }))],
    [4, withN(fc.record({ k: fc.constant('close' as const), handle: handle(o) }))],
    [6, withN(fc.record({ k: fc.constant('ioctl' as const), handle: handle(o), code: ioctl, input: pointer(o), inputLength: len, output: pointer(o), outputLength: len }))],
    [10, withN(fc.record({ k: fc.constant('driver' as const), actions }))],
    [6, withN(fc.record({
      k: fc.constant('valloc' as const), address: weighted<PointerChoice>([6, fc.constant({ at: 'value' as const, value: 0 })], [2, pointer(o)]),
      size: weighted<LengthChoice>([6, fc.integer({ min: 1, max: 16 }).map((p) => p * PAGE)], [2, on(o, 'commit-huge') ? len : length(o, false)]),
      type: fc.constantFrom(...ALLOCATION_TYPES), protect: fc.constantFrom(...PROTECTIONS),
    }))],
    [4, withN(fc.record({ k: fc.constant('vfree' as const), address: pointer(o), size: weighted<LengthChoice>([3, fc.constant(0)], [1, len]), type: fc.constantFrom(...FREE_TYPES) }))],
    [3, withN(fc.record({ k: fc.constant('vquery' as const), address: pointer(o) }))],
    [3, withN(fc.record({ k: fc.constant('vprotect' as const), address: pointer(o), size: len, protect: fc.constantFrom(...PROTECTIONS) }))],
    [2, withN(fc.record({
      k: fc.constant('native-alloc' as const), process: weighted<HandleChoice>([4, fc.constant({ h: 'value' as const, value: -1 })], [1, handle(o)]), address: pointer(o),
      zeroBits: fc.constantFrom(0, 0, 1, 21, 32, 53, 0xffff), size: on(o, 'commit-huge') ? len : length(o, false), type: fc.constantFrom(...ALLOCATION_TYPES), protect: fc.constantFrom(...PROTECTIONS),
    }))],
    [2, withN(fc.record({
      k: fc.constant('native-free' as const), process: weighted<HandleChoice>([4, fc.constant({ h: 'value' as const, value: -1 })], [1, handle(o)]), address: pointer(o),
      size: weighted<LengthChoice>([3, fc.constant(0)], [1, len]), type: fc.constantFrom(...FREE_TYPES),
    }))],
    [2, withN(fc.record({
      k: fc.constant('native-query' as const), process: weighted<HandleChoice>([4, fc.constant({ h: 'value' as const, value: -1 })], [1, handle(o)]), address: pointer(o),
      infoClass: fc.constantFrom(0, 0, 1, 2, 7, 0xffff_ffff), length: fc.constantFrom<LengthChoice>(48, 28, 0, 1, 4096, 2 ** 32 - 1, -1),
    }))],
    [8, withN(fc.record({ k: fc.constant('read' as const), address: pointer(o, withHostile(o, 'hostile-accessors')), width: fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const, 'bytes' as const), length: fc.nat({ max: 2 * PAGE }) }))],
    [8, withN(fc.record({ k: fc.constant('write' as const), address: pointer(o, withHostile(o, 'hostile-accessors')), width: fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const, 'bytes' as const), length: fc.nat({ max: 2 * PAGE }), value: fc.nat({ max: 0xffff_ffff }) }))],
    [4, withN(fc.record({ k: fc.constant('sleep' as const), ms: fc.constantFrom(0, 0, 0, 1, 5, 16) }))],
    [2, withN(fc.record({ k: fc.constant('write-file' as const), handle: weighted<HandleChoice>([2, fc.constant({ h: 'value' as const, value: 4 })], [2, handle(o)]), buffer: pointer(o), length: len }))],
    [3, withN(fc.record({
      k: fc.constant('registry' as const), op: fc.constantFrom('create' as const, 'open' as const, 'set' as const, 'query' as const, 'delete-value' as const, 'delete-key' as const, 'enum' as const, 'close' as const),
      key: weighted<HandleChoice | 'HKLM' | 'HKCU'>([3, fc.constantFrom('HKLM' as const, 'HKCU' as const)], [3, fc.constant({ h: 'open' as const, kind: 'key' as const, pick: 0 })], [1, handle(o)]),
      name: fc.constantFrom(...REGISTRY_NAMES), data: pointer(o), length: len,
    }))],
    [2, withN(fc.record({
      k: fc.constant('section' as const), op: fc.constantFrom('create' as const, 'open' as const, 'map' as const, 'unmap' as const, 'flush' as const, 'close' as const),
      name: fc.constantFrom('', 'Shared', 'Local\\Shared', 'Global\\Shared', 'a\\b'), size: length(o, on(o, 'heap-huge')),
      offset: fc.constantFrom(0, 0x1000, 0x10000, 0x20000), protect: fc.constantFrom(0x02, 0x04, 0x08, 0x20, 0x40, 0x01, 0x104),
      access: fc.constantFrom(0x2, 0x4, 0x1, 0xf001f, 0x20), address: pointer(o), pick: fc.nat({ max: 16 }),
    }))],
    [2, withN(fc.record({ k: fc.constant('heap' as const), op: fc.constantFrom('alloc' as const, 'free' as const), size: length(o, on(o, 'heap-huge')), pick: fc.nat({ max: 16 }) }))],
    [2, fc.record({ k: fc.constant('sample-map' as const), output: pointer(o), outputLength: fc.constantFrom<LengthChoice>(8, 8, 4, 0, 16, 2 ** 32 - 1) })],
    [withHostile(o, 'hostile-arguments') ? 2 : 0, fc.record({
      k: fc.constant('hostile-call' as const), routine: fc.constantFrom(...HOSTILE_ROUTINES.filter((r) => on(o, 'hostile-accessors') || !ACCESSORS.includes(r))),
      argument: fc.nat({ max: 6 }), value: hostile(o),
    }).filter((a) => on(o, 'hostile-names') || a.routine !== 'CreateFileW' || a.argument % 7 !== 0)],
  );
}

const programEnd = (o: GeneratorOptions): fc.Arbitrary<ProgramEnd> => weighted<ProgramEnd>(
  [6, fc.record({ how: fc.constant('return' as const), code: fc.constantFrom(0, 0, 1, 0x7fff_ffff, 0xc000_0005) })],
  [2, fc.record({ how: fc.constant('ExitProcess' as const), code: fc.constantFrom(0, 3, 0xffff_ffff) })],
  [1, fc.record({ how: fc.constant('throw' as const), value: fc.constantFrom('error' as const, 'ntexception' as const) })],
  [withHostile(o, 'hostile-throw') ? 1 : 0, fc.record({ how: fc.constant('throw' as const), value: hostile(o) })],
  [on(o, 'throw-named') ? 0.5 : 0, fc.constant({ how: 'throw' as const, value: 'named-emulator-error' as const })],
);

/**
 * One scenario: the machine and its programs. In one scenario of five the
 * fuzz driver misbehaves (its misuse usually ends the run in a bug check,
 * so the others are kept well-behaved to run long).
 */
export function scenarioArbitrary(o: GeneratorOptions): fc.Arbitrary<Scenario> {
  return fc.oneof({ weight: 4, arbitrary: scenarioOf(o, false) }, { weight: 1, arbitrary: scenarioOf(o, true) });
}

function scenarioOf(o: GeneratorOptions, misbehaving: boolean): fc.Arbitrary<Scenario> {
  const program: fc.Arbitrary<ProgramScript> = fc.record({
    actions: fc.array(programAction(o, misbehaving), { minLength: 1, maxLength: o.maxActions, size: 'max' }),
    end: programEnd(o),
  });
  return fc.record({
    arch: fc.constantFrom('x64' as const, 'x86' as const),
    cpus: fc.constantFrom(1, 2, 2, 4),
    seed: fc.nat({ max: 0xffff }),
    verifier: fc.boolean(),
    programs: fc.array(program, { minLength: 1, maxLength: o.maxPrograms, size: 'max' }),
  });
}
