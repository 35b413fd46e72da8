/**
 * `k32`'s native routines (NtAllocateVirtualMemory, NtCreateFile, ...): the
 * system-call stubs with the conventions of docs/api.md, generated from each
 * service's declaration (include/system-services.ts):
 *
 *   an integer, handle or raw buffer address     passed as is
 *   PUNICODE_STRING                              a JS string, or a guest address
 *   POBJECT_ATTRIBUTES                           a plain object, or a guest address
 *   PLARGE_INTEGER                               a number or bigint, or null
 *   a pointer the service fills (OUT_*)          left out of the call, returned
 *   a pointer in and out (INOUT_*)               the value in, the updated value returned
 *
 * What a pointer must point to is laid out on the thread's stack for the
 * call, as ntdll's callers do in C. A routine with nothing to return but its
 * status returns the status; otherwise `{ status, ...out-parameters }`, each
 * named as documented in camelCase (BaseAddress → baseAddress).
 */
import { NtException } from '../include/errors.js';
import {
  readHandleValue, readIoStatusBlock, readMemoryBasicInformation, readPointer, readSize, writeLargeInteger, writeObjectAttributes,
  writePointer, writeSize, writeUnicodeString, type MemoryBasicInformation, type StructMemory,
} from '../include/struct-access.js';
import { MEMORY_BASIC_INFORMATION, OBJECT_ATTRIBUTES, UNICODE_STRING, type Arch } from '../include/structures.js';
import { STATUS_INVALID_PARAMETER } from '../include/ntstatus.js';
import {
  ParamKinds, SERVICE_NAMES, SYSTEM_SERVICES, isPreemptionPoint, type ParamDeclaration, type ParamKind, type ServiceDeclaration, type ServiceName,
  type SystemServiceTable,
} from '../include/system-services.js';
import { largeIntegerFromProgram, ulongFromProgram, ulongPtrFromProgram } from './program-arguments.js';
import type { UserStack } from './user-stack.js';

/** OBJECT_ATTRIBUTES as a program may give it by value (docs/api.md; InitializeObjectAttributes returns one). */
export interface ObjectAttributesValue {
  ObjectName: string | number | null;
  Attributes: number;
  RootDirectory?: number | null;
  SecurityDescriptor?: unknown;
}

/** IO_STATUS_BLOCK as a native routine returns it. */
export interface IoStatusBlockValue {
  Status: number;
  Information: number;
}

/** What a program passes for a parameter of each kind. */
type InArg<K extends ParamKind> =
  K extends 'PUNICODE_STRING' ? string | number | null
  : K extends 'POBJECT_ATTRIBUTES' ? ObjectAttributesValue | number | null
  : K extends 'PLARGE_INTEGER' ? bigint | number | null
  : K extends 'PVOID' ? number | null
  : K extends 'PROUTINE' ? ProgramRoutine | number | null
  : number;

/** What a native routine returns for an out or in/out parameter of each kind. */
type OutValue<K extends ParamKind> =
  K extends 'OUT_IO_STATUS_BLOCK' ? IoStatusBlockValue
  : K extends 'OUT_MEMORY_BASIC_INFORMATION' ? MemoryBasicInformation | undefined
  : number;

type IsOut<K extends ParamKind> = (typeof ParamKinds)[K] extends 'in' ? false : true;

/** The parameters a program passes: the declaration's, without the pure out-parameters. */
type InParams<P extends readonly ParamDeclaration[]> =
  P extends readonly [infer H extends ParamDeclaration, ...infer T extends readonly ParamDeclaration[]]
    ? (typeof ParamKinds)[H[1]] extends 'out' ? InParams<T> : [InArg<H[1]>, ...InParams<T>]
    : [];

/** `{ status, ...out }`, or the bare status when the service returns nothing else. */
type NativeResult<P extends readonly ParamDeclaration[]> =
  true extends { [I in keyof P]: IsOut<P[I][1]> }[number]
    ? { status: number } & { [E in P[number] as IsOut<E[1]> extends true ? Uncapitalize<E[0]> : never]: OutValue<E[1]> }
    : number;

/**
 * One native routine, typed from its declaration. A routine whose stub can
 * suspend the thread (blocking or preemptible) returns a promise, to be
 * awaited as any call where another thread may run.
 */
export type NativeRoutine<D extends ServiceDeclaration> =
  (...args: InParams<D['params']>) => D extends { readonly blocking: true } | { readonly preemptible: true }
    ? Promise<NativeResult<D['params']>> : NativeResult<D['params']>;

/** Every native routine. */
export type NativeRoutines = { readonly [N in ServiceName]: NativeRoutine<(typeof SYSTEM_SERVICES)[N]> };

/** What the routines need of the thread: its memory, its stack, and the machine's architecture. */
export interface NativeThread {
  readonly arch: Arch;
  readonly mem: StructMemory & { setString(va: number, s: string, encoding: 'utf-16le'): void; fill(va: number, length: number, value: number): void };
  readonly stack: UserStack;
  /** The address standing for a routine of the program (machine/program-loader.ts), for a PROUTINE parameter given as a function. */
  registerApcRoutine?(routine: ProgramRoutine): number;
}

/** A routine of the program a user APC calls: given the thread's k32 and the APC's arguments (PIO_APC_ROUTINE: ApcContext, IoStatusBlock, Reserved). */
export type ProgramRoutine = (k32: never, ...args: number[]) => unknown;

/** Lays a UNICODE_STRING (header and buffer) out on the stack; returns its address. */
export function pushUnicodeString(t: NativeThread, text: string): number {
  const bytes = text.length * 2;
  if (bytes > 0xfffe) throw new NtException(STATUS_INVALID_PARAMETER);
  const buffer = t.stack.push(bytes + 2, 8);
  t.mem.setString(buffer, text, 'utf-16le');
  t.mem.setUint16(buffer + bytes, 0);
  const va = t.stack.push(UNICODE_STRING[t.arch].size, 8);
  writeUnicodeString(t.mem, t.arch, va, bytes, bytes + 2, buffer);
  return va;
}

/** Lays an OBJECT_ATTRIBUTES (and its name) out on the stack; returns its address. */
export function pushObjectAttributes(t: NativeThread, oa: ObjectAttributesValue): number {
  const objectName: unknown = oa.ObjectName;
  const name = typeof objectName === 'string' ? pushUnicodeString(t, objectName) : ulongPtrFromProgram(t.arch, objectName);
  const va = t.stack.push(OBJECT_ATTRIBUTES[t.arch].size, 8);
  const sd = oa.SecurityDescriptor;
  writeObjectAttributes(t.mem, t.arch, va, {
    Length: OBJECT_ATTRIBUTES[t.arch].size, RootDirectory: ulongPtrFromProgram(t.arch, oa.RootDirectory), ObjectName: name,
    Attributes: ulongFromProgram(t.arch, oa.Attributes),
    SecurityDescriptor: typeof sd === 'number' ? sd : 0, SecurityQualityOfService: 0,
  });
  return va;
}

/** One out or in/out parameter's slot on the stack, and how to read it back. */
interface Slot {
  /** The name the result gives it: the parameter's, in camelCase (BaseAddress → baseAddress). */
  readonly name: string;
  readonly kind: ParamKind;
  readonly va: number;
}

/** The argument a kernel receives for one parameter (laying out on the stack what must be). */
function marshal(t: NativeThread, kind: ParamKind, value: unknown, slots: Slot[], name: string): number {
  switch (kind) {
    // A string or plain object is laid out on the stack; any other value is the structure's address (program-arguments.ts).
    case 'PROUTINE':
      if (typeof value !== 'function') return ulongPtrFromProgram(t.arch, value);
      if (!t.registerApcRoutine) throw new TypeError('a routine given as a function needs a program thread to name it');
      return t.registerApcRoutine(value as ProgramRoutine);
    case 'PUNICODE_STRING':
      return typeof value === 'string' ? pushUnicodeString(t, value) : ulongPtrFromProgram(t.arch, value);
    case 'POBJECT_ATTRIBUTES':
      return typeof value === 'object' && value !== null && !Array.isArray(value)
        ? pushObjectAttributes(t, value as ObjectAttributesValue) : ulongPtrFromProgram(t.arch, value);
    case 'PLARGE_INTEGER': {
      if (value === null || value === undefined) return 0;
      const interval = largeIntegerFromProgram(t.arch, value);
      const va = t.stack.push(8, 8);
      writeLargeInteger(t.mem, va, interval);
      return va;
    }
    case 'OUT_HANDLE': case 'OUT_SIZE_T': case 'OUT_ULONG': case 'OUT_IO_STATUS_BLOCK': case 'OUT_MEMORY_BASIC_INFORMATION': {
      const size = kind === 'OUT_MEMORY_BASIC_INFORMATION' ? MEMORY_BASIC_INFORMATION[t.arch].size : 16;
      const va = t.stack.push(size, 8);
      t.mem.fill(va, size, 0);
      slots.push({ name, kind, va });
      return va;
    }
    case 'INOUT_PVOID': case 'INOUT_SIZE_T': {
      const va = t.stack.push(8, 8);
      if (kind === 'INOUT_PVOID') writePointer(t.mem, t.arch, va, ulongPtrFromProgram(t.arch, value));
      else writeSize(t.mem, t.arch, va, ulongPtrFromProgram(t.arch, value));
      slots.push({ name, kind, va });
      return va;
    }
    default:
      if (typeof value === 'number') return value;
      return kind === 'ULONG' ? ulongFromProgram(t.arch, value) : ulongPtrFromProgram(t.arch, value);
  }
}

/** Reads an out or in/out parameter back from its slot. */
function unmarshal(t: NativeThread, slot: Slot, status: number): unknown {
  switch (slot.kind) {
    case 'OUT_HANDLE': return readHandleValue(t.mem, t.arch, slot.va);
    case 'OUT_ULONG': return t.mem.getUint32(slot.va);
    case 'OUT_IO_STATUS_BLOCK': return readIoStatusBlock(t.mem, t.arch, slot.va);
    case 'OUT_MEMORY_BASIC_INFORMATION': return status < 0x8000_0000 ? readMemoryBasicInformation(t.mem, t.arch, slot.va) : undefined;
    case 'INOUT_PVOID': return readPointer(t.mem, t.arch, slot.va);
    default: return readSize(t.mem, t.arch, slot.va);
  }
}

/** The result of a call: the status alone, or `{ status, ...out }`. */
function result(t: NativeThread, slots: readonly Slot[], status: number, hasOut: boolean): unknown {
  if (!hasOut) return status >>> 0;
  const out: Record<string, unknown> = { status: status >>> 0 };
  for (const slot of slots) out[slot.name] = unmarshal(t, slot, status >>> 0);
  return out;
}

/** A parameter's name as the result names it: BaseAddress → baseAddress. */
const camelCase = (name: string): string => name[0]!.toLowerCase() + name.slice(1);

/** Whether a value can be passed for an integer or pointer parameter (a JS number that no register could hold cannot). */
const passable = (kind: ParamKind, value: unknown): boolean =>
  typeof value !== 'number' || Number.isInteger(value) || kind === 'PLARGE_INTEGER' ? true : false;

/**
 * What a routine returns for arguments no C caller could pass (NaN, 1.5):
 * STATUS_INVALID_PARAMETER, and no call; in/out values come back as given.
 */
function refused(params: readonly ParamDeclaration[], args: readonly unknown[], hasOut: boolean): unknown {
  if (!hasOut) return STATUS_INVALID_PARAMETER;
  const out: Record<string, unknown> = { status: STATUS_INVALID_PARAMETER };
  let next = 0;
  for (const [name, kind] of params) {
    const direction = ParamKinds[kind];
    const value = direction === 'out' ? undefined : args[next++];
    if (direction !== 'in') out[camelCase(name)] = kind === 'OUT_IO_STATUS_BLOCK' ? { Status: 0, Information: 0 } : direction === 'inout' ? value : kind === 'OUT_MEMORY_BASIC_INFORMATION' ? undefined : 0;
  }
  return out;
}

/** Builds one routine from its declaration over its stub. */
function nativeRoutine(t: NativeThread, declaration: ServiceDeclaration, stub: (...args: number[]) => number | Promise<number>) {
  const params = declaration.params;
  const kinds = params.map(([, kind]) => kind);
  const hasOut = kinds.some((kind) => ParamKinds[kind] !== 'in');
  const inKinds = kinds.filter((kind) => ParamKinds[kind] !== 'out');
  const resultNames = params.map(([name]) => camelCase(name));
  // Loops rather than array methods with closures: a call (NtCreateFile on every CreateFileW) makes no more than it must.
  const bad = (args: readonly unknown[]): boolean => {
    for (let i = 0; i < inKinds.length; i++) if (!passable(inKinds[i]!, args[i])) return true;
    return false;
  };
  /** The numbers the stub is called with, laying out on the stack what must be; out-parameters' slots go into `slots`. */
  const marshalAll = (args: readonly unknown[], slots: Slot[]): number[] => {
    const raw = new Array<number>(kinds.length);
    for (let i = 0, next = 0; i < kinds.length; i++) {
      const kind = kinds[i]!;
      raw[i] = marshal(t, kind, ParamKinds[kind] === 'out' ? undefined : args[next++], slots, resultNames[i]!);
    }
    return raw;
  };
  if (isPreemptionPoint(declaration)) {
    // Always a promise, settled once the frame is popped; a stub that answers at once (a wait on a signalled
    // object) is not awaited: an async body and its ticks would cost the call some hundreds of ns (bench 8).
    return (...args: unknown[]): Promise<unknown> => {
      if (bad(args)) return Promise.resolve(refused(params, args, hasOut));
      const saved = t.stack.sp;
      let later = false;
      try {
        const slots: Slot[] = [];
        const raw = marshalAll(args, slots);
        const status = stub(...raw);
        if (typeof status === 'number') return Promise.resolve(result(t, slots, status, hasOut));
        later = true;
        return status.then((s) => result(t, slots, s, hasOut)).finally(() => { t.stack.sp = saved; });
      } catch (e) {
        // As from an async body: what the call throws is its promise's rejection.
        return Promise.reject(e);
      } finally {
        if (!later) t.stack.sp = saved;
      }
    };
  }
  return (...args: unknown[]): unknown => {
    if (bad(args)) return refused(params, args, hasOut);
    // The call's frame on the stack, popped when it returns or throws (UserStack.frame, without its closure).
    const saved = t.stack.sp;
    try {
      const slots: Slot[] = [];
      const raw = marshalAll(args, slots);
      return result(t, slots, stub(...raw) as number, hasOut);
    } finally {
      t.stack.sp = saved;
    }
  };
}

/** Every native routine of one thread, over its stubs. */
export function makeNativeRoutines(t: NativeThread, stubs: SystemServiceTable): NativeRoutines {
  const routines: Record<string, unknown> = {};
  for (const name of SERVICE_NAMES) {
    // Each stub is called with the numbers its declaration lists, which `call` builds from that same declaration.
    routines[name] = nativeRoutine(t, SYSTEM_SERVICES[name], stubs[name] as (...args: number[]) => number | Promise<number>);
  }
  return routines as NativeRoutines;
}
