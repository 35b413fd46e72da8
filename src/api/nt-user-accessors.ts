/**
 * The User-mode Accessors (usermode_accessors.h), spread into `nt`: the
 * WDK's sanctioned way for kernel code to touch user memory. Each checks
 * that the whole range is a user-mode address (below MmUserProbeAddress,
 * as ProbeForRead does) and then accesses it; a kernel address, or a user
 * page that cannot be accessed, raises STATUS_ACCESS_VIOLATION, which the
 * driver catches (`try { ... } catch (e) { if (e instanceof NtException) ... }`,
 * its __try/__except). The *FromMode / *ToMode forms take a processor mode:
 * KernelMode accesses the address as it is (a kernel caller's buffer),
 * UserMode checks it as above. Acquire/Release forms are the same access
 * here: ntshm runs one CPU at a time, and every access is sequentially
 * consistent (docs/fidelity.md).
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/user-mode-accessors
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/usermode_accessors/
 */
import { KernelMode } from '../include/wdm-constants.js';
import { ProbeForRead } from '../kernel/ex/probe.js';
import type { Kernel } from '../kernel/kernel.js';
import { pointerArgument } from './driver-arguments.js';

/** One accessor type: its name in the routines' names, its size, and how a value is read and written. */
interface AccessorType {
  readonly size: number | 'pointer';
  readonly signed: boolean;
  readonly wide: boolean;
}

const u = (size: number): AccessorType => ({ size, signed: false, wide: size === 8 });
const s = (size: number): AccessorType => ({ size, signed: true, wide: size === 8 });
const ptr = (signed: boolean): AccessorType => ({ size: 'pointer', signed, wide: false });

const NARROW = {
  Boolean: u(1), Char: s(1), UChar: u(1), Int8: s(1), UInt8: u(1),
  Short: s(2), UShort: u(2), Int16: s(2), UInt16: u(2),
  Long: s(4), ULong: u(4), Int32: s(4), UInt32: u(4), NtStatus: u(4),
  Pointer: ptr(false), Handle: ptr(false), ULongPtr: ptr(false), UIntPtr: ptr(false), SizeT: ptr(false),
  LongPtr: ptr(true), IntPtr: ptr(true), SSizeT: ptr(true),
} as const;
const WIDE = { Long64: s(8), ULong64: u(8), LongLong: s(8), ULongLong: u(8), Int64: s(8), UInt64: u(8), LargeInteger: s(8) } as const;

/** The types of the Read<T>FromUser / Write<T>ToUser family (usermode_accessors.h). */
const TYPES: Readonly<Record<string, AccessorType>> = { ...NARROW, ...WIDE };

type Narrow = keyof typeof NARROW;
type Wide = keyof typeof WIDE;
type Value<K> = K extends Wide ? bigint : number;
type T = Narrow | Wide;

/** The generated routines' names and shapes: a 64-bit type's value is a bigint, the others' a number. */
export type UserModeAccessors =
  { [K in T as `Read${K}FromUser` | `Read${K}FromUserAcquire`]: (Source: number) => Value<K> }
  & { [K in T as `Read${K}FromMode`]: (Source: number, Mode: number) => Value<K> }
  & { [K in T as `Write${K}ToUser` | `Write${K}ToUserRelease`]: (Destination: number, Value: Value<K> | number) => void }
  & { [K in T as `Write${K}ToMode`]: (Destination: number, Value: Value<K> | number, Mode: number) => void }
  & { [K in 'InterlockedCompareExchangeToUser']: (Destination: number, Exchange: number, Comperand: number) => number }
  & { [K in 'InterlockedCompareExchange64ToUser']: (Destination: number, Exchange: bigint, Comperand: bigint) => bigint }
  & { [K in 'InterlockedCompareExchangeToMode']: (Destination: number, Exchange: number, Comperand: number, Mode: number) => number }
  & { [K in 'InterlockedCompareExchange64ToMode']: (Destination: number, Exchange: bigint, Comperand: bigint, Mode: number) => bigint }
  & { [K in 'InterlockedAndToUser' | 'InterlockedOrToUser']: (Destination: number, Value: number) => number }
  & { [K in 'InterlockedAnd64ToUser' | 'InterlockedOr64ToUser']: (Destination: number, Value: bigint) => bigint }
  & { [K in 'InterlockedAndToMode' | 'InterlockedOrToMode']: (Destination: number, Value: number, Mode: number) => number }
  & { [K in 'InterlockedAnd64ToMode' | 'InterlockedOr64ToMode']: (Destination: number, Value: bigint, Mode: number) => bigint };

/** A routine of the family: reads answer a number (a bigint for 64-bit types), writes take one. */
type Routine = (...args: never[]) => unknown;

/** The User-mode Accessors of one driver's `nt`; `enter` is nt's single entry (time, IRQL check). */
export function makeNtUserAccessors(k: Kernel, enter: (name: string, maxIrql: number) => void) {
  const mem = k.kernelMemory;
  const pointerSize = k.layout.pointerSize;
  const sizeOf = (t: AccessorType): number => (t.size === 'pointer' ? pointerSize : t.size);
  const at = (v: unknown): number => pointerArgument(k.arch, v);
  /** The user check (ProbeForRead's range test, no alignment): a kernel address or a wrapping range raises. */
  const checkUser = (va: number, length: number): void => ProbeForRead(k, va, length, 1);
  const check = (va: number, length: number, mode: number): void => {
    if ((mode & 0xff) !== KernelMode) checkUser(va, length);
  };

  const read = (t: AccessorType, va: number): number | bigint => {
    // Pointer-sized values are numbers, as every pointer on `nt` is (LONG_PTR ones as signed).
    if (t.size === 'pointer') {
      const p = mem.getPointer(va);
      return t.signed && p >= 2 ** (pointerSize * 8 - 1) ? p - 2 ** (pointerSize * 8) : p;
    }
    const size = sizeOf(t);
    if (size === 8) return t.signed ? BigInt.asIntN(64, mem.getBigUint64(va)) : mem.getBigUint64(va);
    const raw = size === 1 ? mem.getUint8(va) : size === 2 ? mem.getUint16(va) : mem.getUint32(va);
    if (!t.signed) return raw;
    const bits = size * 8;
    return raw >= 2 ** (bits - 1) ? raw - 2 ** bits : raw;
  };
  const write = (t: AccessorType, va: number, value: unknown): void => {
    if (t.size === 'pointer') {
      mem.setPointer(va, at(typeof value === 'number' && value < 0 ? value + 2 ** (pointerSize * 8) : value));
      return;
    }
    const size = sizeOf(t);
    if (size === 8) {
      mem.setBigUint64(va, BigInt.asUintN(64, typeof value === 'bigint' ? value : BigInt(Math.trunc(Number(value)))));
      return;
    }
    const n = Number(typeof value === 'bigint' ? BigInt.asUintN(size * 8, value) : value) >>> 0;
    if (size === 1) mem.setUint8(va, n & 0xff);
    else if (size === 2) mem.setUint16(va, n & 0xffff);
    else mem.setUint32(va, n);
  };

  const routines: Record<string, Routine> = {};
  for (const [name, t] of Object.entries(TYPES)) {
    const readUser = (Source: unknown): number | bigint => {
      const va = at(Source);
      checkUser(va, sizeOf(t));
      return read(t, va);
    };
    const writeUser = (Destination: unknown, Value: unknown): void => {
      const va = at(Destination);
      checkUser(va, sizeOf(t));
      write(t, va, Value);
    };
    routines[`Read${name}FromUser`] = (Source: never) => { enter(`Read${name}FromUser`, 1); return readUser(Source); };
    routines[`Read${name}FromUserAcquire`] = (Source: never) => { enter(`Read${name}FromUserAcquire`, 1); return readUser(Source); };
    routines[`Read${name}FromMode`] = (Source: never, Mode: never) => {
      enter(`Read${name}FromMode`, 1);
      const va = at(Source);
      check(va, sizeOf(t), Number(Mode));
      return read(t, va);
    };
    routines[`Write${name}ToUser`] = (Destination: never, Value: never) => { enter(`Write${name}ToUser`, 1); writeUser(Destination, Value); };
    routines[`Write${name}ToUserRelease`] = (Destination: never, Value: never) => { enter(`Write${name}ToUserRelease`, 1); writeUser(Destination, Value); };
    routines[`Write${name}ToMode`] = (Destination: never, Value: never, Mode: never) => {
      enter(`Write${name}ToMode`, 1);
      const va = at(Destination);
      check(va, sizeOf(t), Number(Mode));
      write(t, va, Value);
    };
  }

  // Interlocked<Op>[64]ToUser / ToMode: one locked read-modify-write of a user LONG (LONG64), the initial value back.
  for (const [op, locked] of [['CompareExchange', 'compareExchange'], ['And', 'and'], ['Or', 'or']] as const) {
    for (const wide of [false, true]) {
      const size = wide ? 8 : 4;
      const base = `Interlocked${op}${wide ? '64' : ''}`;
      const run = (name: string, destination: unknown, value: unknown, comparand: unknown, mode: unknown): number | bigint => {
        enter(name, 2);
        const va = at(destination);
        check(va, size, Number(mode));
        const toBig = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v ?? 0))));
        const initial = mem.interlocked(va, size, locked, toBig(value), toBig(comparand));
        return wide ? BigInt.asIntN(64, initial) : Number(BigInt.asIntN(32, initial));
      };
      // CompareExchange(Destination, Exchange, Comperand); And/Or(Destination, Value).
      routines[`${base}ToUser`] = op === 'CompareExchange'
        ? (Destination: never, Exchange: never, Comperand: never) => run(`${base}ToUser`, Destination, Exchange, Comperand, 1)
        : (Destination: never, Value: never) => run(`${base}ToUser`, Destination, Value, 0, 1);
      routines[`${base}ToMode`] = op === 'CompareExchange'
        ? (Destination: never, Exchange: never, Comperand: never, Mode: never) => run(`${base}ToMode`, Destination, Exchange, Comperand, Mode)
        : (Destination: never, Value: never, Mode: never) => run(`${base}ToMode`, Destination, Value, 0, Mode);
    }
  }

  const copy = (name: string, destination: unknown, source: unknown, length: unknown, userSide: 'source' | 'destination' | 'both', mode?: unknown): void => {
    enter(name, 1);
    const dst = at(destination);
    const src = at(source);
    const n = Number(length);
    const kernelCaller = mode !== undefined && (Number(mode) & 0xff) === KernelMode;
    if (!kernelCaller && (userSide === 'source' || userSide === 'both')) checkUser(src, n);
    if (!kernelCaller && (userSide === 'destination' || userSide === 'both')) checkUser(dst, n);
    mem.copy(dst, src, n);
  };

  return {
    ...(routines as unknown as UserModeAccessors),
    /** CopyFromUser(Destination, Source, Length): a user buffer into kernel memory. */
    CopyFromUser: (Destination: number, Source: number, Length: number): void => copy('CopyFromUser', Destination, Source, Length, 'source'),
    CopyFromUserNonTemporal: (Destination: number, Source: number, Length: number): void => copy('CopyFromUserNonTemporal', Destination, Source, Length, 'source'),
    /** CopyToUser(Destination, Source, Length): kernel memory into a user buffer. */
    CopyToUser: (Destination: number, Source: number, Length: number): void => copy('CopyToUser', Destination, Source, Length, 'destination'),
    CopyToUserNonTemporal: (Destination: number, Source: number, Length: number): void => copy('CopyToUserNonTemporal', Destination, Source, Length, 'destination'),
    /** CopyFromMode(Destination, Source, Length, Mode): from a buffer of the given mode. */
    CopyFromMode: (Destination: number, Source: number, Length: number, Mode: number): void => copy('CopyFromMode', Destination, Source, Length, 'source', Mode),
    CopyFromModeNonTemporal: (Destination: number, Source: number, Length: number, Mode: number): void =>
      copy('CopyFromModeNonTemporal', Destination, Source, Length, 'source', Mode),
    /** CopyToMode(Destination, Source, Length, Mode): into a buffer of the given mode. */
    CopyToMode: (Destination: number, Source: number, Length: number, Mode: number): void => copy('CopyToMode', Destination, Source, Length, 'destination', Mode),
    CopyToModeNonTemporal: (Destination: number, Source: number, Length: number, Mode: number): void =>
      copy('CopyToModeNonTemporal', Destination, Source, Length, 'destination', Mode),
    /** CopyFromUserToMode(Destination, Source, Length, Mode): a user buffer into a buffer of the given mode. */
    CopyFromUserToMode: (Destination: number, Source: number, Length: number, Mode: number): void => {
      if ((Number(Mode) & 0xff) === KernelMode) copy('CopyFromUserToMode', Destination, Source, Length, 'source');
      else copy('CopyFromUserToMode', Destination, Source, Length, 'both');
    },
    /** CopyToUserFromUser / MoveToUserFromUser(Destination, Source, Length): both buffers user buffers (a move may overlap). */
    CopyToUserFromUser: (Destination: number, Source: number, Length: number): void => copy('CopyToUserFromUser', Destination, Source, Length, 'both'),
    MoveToUserFromUser: (Destination: number, Source: number, Length: number): void => copy('MoveToUserFromUser', Destination, Source, Length, 'both'),
    /** FillUserMemory(Destination, Length, Fill): Length bytes of Fill into a user buffer. */
    FillUserMemory: (Destination: number, Length: number, Fill: number): void => {
      enter('FillUserMemory', 1);
      const va = at(Destination);
      checkUser(va, Number(Length));
      mem.setBytes(va, new Uint8Array(Number(Length)).fill(Number(Fill) & 0xff));
    },
    /** FillModeMemory(Destination, Length, Fill, Mode). */
    FillModeMemory: (Destination: number, Length: number, Fill: number, Mode: number): void => {
      enter('FillModeMemory', 1);
      const va = at(Destination);
      check(va, Number(Length), Mode);
      mem.setBytes(va, new Uint8Array(Number(Length)).fill(Number(Fill) & 0xff));
    },
  };
}
