/**
 * Readers and writers of the boundary structures (structures.ts) over any
 * DataView-like memory: a user stack the kernel probes, a captured copy, or a
 * test's Uint8Array. Little-endian, as x86 and x64 are.
 *
 * The writers and the scalar readers allocate nothing: a 64-bit pointer or
 * SIZE_T moves as two 32-bit halves, never through a BigInt. The readers that
 * return a whole structure (UNICODE_STRING, OBJECT_ATTRIBUTES, ...) return a
 * fresh object; they are for capture, not for hot paths.
 *
 * Addresses are ntshm's numbers: a 48-bit canonical address with the x64
 * sign-extension bits dropped (as GuestMemory.getPointer/setPointer do).
 */
import {
  CLIENT_ID, IO_STATUS_BLOCK, MEMORY_BASIC_INFORMATION, OBJECT_ATTRIBUTES, UNICODE_STRING, type Arch,
} from './structures.js';

/** The memory the helpers read and write; GuestMemory satisfies it. */
export interface StructMemory {
  getUint8(va: number): number;
  getUint16(va: number): number;
  getUint32(va: number): number;
  getBigUint64(va: number): bigint;
  setUint8(va: number, value: number): void;
  setUint16(va: number, value: number): void;
  setUint32(va: number, value: number): void;
  setBigUint64(va: number, value: bigint): void;
  getBytes(va: number, length: number): Uint8Array;
  setBytes(va: number, bytes: Uint8Array): void;
}

const TWO_32 = 0x1_0000_0000;
/** Addresses at or above 2^47 are x64 kernel addresses, stored sign-extended. */
const TWO_47 = 0x8000_0000_0000;
const TWO_63 = 1n << 63n;
const TWO_64 = 1n << 64n;

/**
 * low + high × 2^32, the low word itself when the high word is 0. The sum is
 * the same number, but V8 makes it a boxed double (HeapNumber) even when it
 * is a small integer, and a program that does arithmetic on an address it
 * was given then does it all in floating point: an x64 program's page loop
 * over VirtualAlloc's memory ran 3× slower in some processes (whenever the
 * JIT did not inline the loop into its caller) for that alone.
 */
function wide(low: number, high: number): number {
  return high === 0 ? low : low + high * TWO_32;
}

/** *(PVOID*)va: 4 bytes on x86; on x64 8 bytes with the sign-extension bits (63..48) dropped. */
export function readPointer(mem: StructMemory, arch: Arch, va: number): number {
  if (arch === 'x86') return mem.getUint32(va);
  return wide(mem.getUint32(va), mem.getUint32(va + 4) & 0xffff);
}

/** *(PVOID*)va = value: on x64 an address at or above 2^47 is stored sign-extended (canonical). */
export function writePointer(mem: StructMemory, arch: Arch, va: number, value: number): void {
  if (arch === 'x86') {
    mem.setUint32(va, value >>> 0);
    return;
  }
  const high = Math.floor(value / TWO_32);
  mem.setUint32(va, value >>> 0);
  mem.setUint32(va + 4, value >= TWO_47 ? (high | 0xffff_0000) >>> 0 : high >>> 0);
}

/** *(HANDLE*)va = handle: ntshm's handles are small numbers, kernel handles negative (sign-extended on x64). */
export function writeHandleValue(mem: StructMemory, arch: Arch, va: number, handle: number): void {
  mem.setUint32(va, handle >>> 0);
  if (arch === 'x64') mem.setUint32(va + 4, handle < 0 ? 0xffff_ffff : 0);
}

/** *(HANDLE*)va, as ntshm's number (a kernel handle, its top bit set, comes back negative; x86's too). */
export function readHandleValue(mem: StructMemory, arch: Arch, va: number): number {
  const low = mem.getUint32(va);
  return arch === 'x64' ? (mem.getUint32(va + 4) === 0xffff_ffff ? low - TWO_32 : low) : low | 0;
}

/** *(SIZE_T*)va (also ULONG_PTR): unsigned, exact below 2^53. */
export function readSize(mem: StructMemory, arch: Arch, va: number): number {
  if (arch === 'x86') return mem.getUint32(va);
  return wide(mem.getUint32(va), mem.getUint32(va + 4));
}

/** *(SIZE_T*)va = value (also ULONG_PTR): no sign extension. */
export function writeSize(mem: StructMemory, arch: Arch, va: number, value: number): void {
  mem.setUint32(va, value >>> 0);
  if (arch === 'x64') mem.setUint32(va + 4, Math.floor(value / TWO_32) >>> 0);
}

/** LARGE_INTEGER.QuadPart as a signed 64-bit bigint (the bigint read is the only allocation). */
export function readLargeInteger(mem: StructMemory, va: number): bigint {
  const u = mem.getBigUint64(va);
  return u < TWO_63 ? u : u - TWO_64;
}

/** LARGE_INTEGER.QuadPart = value, wrapped to 64 bits (two's complement). */
export function writeLargeInteger(mem: StructMemory, va: number, value: bigint): void {
  mem.setBigUint64(va, BigInt.asUintN(64, value));
}

/** A UNICODE_STRING header (Length and MaximumLength in bytes, Buffer a guest address). */
export interface UnicodeStringHeader {
  Length: number;
  MaximumLength: number;
  Buffer: number;
}

/** Reads a UNICODE_STRING header (not its characters). */
export function readUnicodeString(mem: StructMemory, arch: Arch, va: number): UnicodeStringHeader {
  const l = UNICODE_STRING[arch];
  return { Length: mem.getUint16(va + l.Length), MaximumLength: mem.getUint16(va + l.MaximumLength), Buffer: readPointer(mem, arch, va + l.Buffer) };
}

/** Writes a UNICODE_STRING header (x64 padding left as it was, as RtlInitUnicodeString does). */
export function writeUnicodeString(mem: StructMemory, arch: Arch, va: number, length: number, maximumLength: number, buffer: number): void {
  const l = UNICODE_STRING[arch];
  mem.setUint16(va + l.Length, length);
  mem.setUint16(va + l.MaximumLength, maximumLength);
  writePointer(mem, arch, va + l.Buffer, buffer);
}

/** OBJECT_ATTRIBUTES fields: handles and pointers as numbers. */
export interface ObjectAttributesFields {
  Length: number;
  RootDirectory: number;
  ObjectName: number;
  Attributes: number;
  SecurityDescriptor: number;
  SecurityQualityOfService: number;
}

/** Reads an OBJECT_ATTRIBUTES. */
export function readObjectAttributes(mem: StructMemory, arch: Arch, va: number): ObjectAttributesFields {
  const l = OBJECT_ATTRIBUTES[arch];
  return {
    Length: mem.getUint32(va + l.Length),
    RootDirectory: readPointer(mem, arch, va + l.RootDirectory),
    ObjectName: readPointer(mem, arch, va + l.ObjectName),
    Attributes: mem.getUint32(va + l.Attributes),
    SecurityDescriptor: readPointer(mem, arch, va + l.SecurityDescriptor),
    SecurityQualityOfService: readPointer(mem, arch, va + l.SecurityQualityOfService),
  };
}

/** Writes an OBJECT_ATTRIBUTES, as InitializeObjectAttributes does (Length is usually OBJECT_ATTRIBUTES[arch].size). */
export function writeObjectAttributes(mem: StructMemory, arch: Arch, va: number, oa: ObjectAttributesFields): void {
  const l = OBJECT_ATTRIBUTES[arch];
  mem.setUint32(va + l.Length, oa.Length >>> 0);
  writePointer(mem, arch, va + l.RootDirectory, oa.RootDirectory);
  writePointer(mem, arch, va + l.ObjectName, oa.ObjectName);
  mem.setUint32(va + l.Attributes, oa.Attributes >>> 0);
  writePointer(mem, arch, va + l.SecurityDescriptor, oa.SecurityDescriptor);
  writePointer(mem, arch, va + l.SecurityQualityOfService, oa.SecurityQualityOfService);
}

/** Writes an IO_STATUS_BLOCK: the 32-bit Status (the x64 union's upper half untouched) and the ULONG_PTR Information. */
export function writeIoStatusBlock(mem: StructMemory, arch: Arch, va: number, status: number, information: number): void {
  const l = IO_STATUS_BLOCK[arch];
  mem.setUint32(va + l.Status, status >>> 0);
  writeSize(mem, arch, va + l.Information, information);
}

/** Reads an IO_STATUS_BLOCK (Status unsigned, as ntshm's NTSTATUS values are). */
export function readIoStatusBlock(mem: StructMemory, arch: Arch, va: number): { Status: number; Information: number } {
  const l = IO_STATUS_BLOCK[arch];
  return { Status: mem.getUint32(va + l.Status), Information: readSize(mem, arch, va + l.Information) };
}

/** Writes a CLIENT_ID (process and thread ids as HANDLE-sized values). */
export function writeClientId(mem: StructMemory, arch: Arch, va: number, uniqueProcess: number, uniqueThread: number): void {
  const l = CLIENT_ID[arch];
  writeSize(mem, arch, va + l.UniqueProcess, uniqueProcess);
  writeSize(mem, arch, va + l.UniqueThread, uniqueThread);
}

/** Reads a CLIENT_ID. */
export function readClientId(mem: StructMemory, arch: Arch, va: number): { UniqueProcess: number; UniqueThread: number } {
  const l = CLIENT_ID[arch];
  return { UniqueProcess: readSize(mem, arch, va + l.UniqueProcess), UniqueThread: readSize(mem, arch, va + l.UniqueThread) };
}

/** MEMORY_BASIC_INFORMATION fields; PartitionId exists on x64 only (read as 0 on x86, ignored when written). */
export interface MemoryBasicInformation {
  BaseAddress: number;
  AllocationBase: number;
  AllocationProtect: number;
  /** x64 only. */
  PartitionId?: number;
  RegionSize: number;
  State: number;
  Protect: number;
  Type: number;
}

/** Writes a whole MEMORY_BASIC_INFORMATION, zeroing the x64 padding so no stale bytes reach the caller. */
export function writeMemoryBasicInformation(mem: StructMemory, arch: Arch, va: number, mbi: MemoryBasicInformation): void {
  if (arch === 'x64') {
    const l = MEMORY_BASIC_INFORMATION.x64;
    mem.setUint16(va + l.PartitionId, mbi.PartitionId ?? 0);
    mem.setUint16(va + l.PartitionId + 2, 0);
    mem.setUint32(va + l.Type + 4, 0);
  }
  const l = MEMORY_BASIC_INFORMATION[arch];
  writePointer(mem, arch, va + l.BaseAddress, mbi.BaseAddress);
  writePointer(mem, arch, va + l.AllocationBase, mbi.AllocationBase);
  mem.setUint32(va + l.AllocationProtect, mbi.AllocationProtect >>> 0);
  writeSize(mem, arch, va + l.RegionSize, mbi.RegionSize);
  mem.setUint32(va + l.State, mbi.State >>> 0);
  mem.setUint32(va + l.Protect, mbi.Protect >>> 0);
  mem.setUint32(va + l.Type, mbi.Type >>> 0);
}

/** Reads a MEMORY_BASIC_INFORMATION (with PartitionId on x64 only, where the field exists). */
export function readMemoryBasicInformation(mem: StructMemory, arch: Arch, va: number): MemoryBasicInformation {
  const l = MEMORY_BASIC_INFORMATION[arch];
  return {
    BaseAddress: readPointer(mem, arch, va + l.BaseAddress),
    AllocationBase: readPointer(mem, arch, va + l.AllocationBase),
    AllocationProtect: mem.getUint32(va + l.AllocationProtect),
    ...(arch === 'x64' ? { PartitionId: mem.getUint16(va + MEMORY_BASIC_INFORMATION.x64.PartitionId) } : {}),
    RegionSize: readSize(mem, arch, va + l.RegionSize),
    State: mem.getUint32(va + l.State),
    Protect: mem.getUint32(va + l.Protect),
    Type: mem.getUint32(va + l.Type),
  };
}
