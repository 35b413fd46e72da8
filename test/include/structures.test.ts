import { describe, expect, it } from 'vitest';
import * as S from '../../src/include/structures.js';
import { alignUp, pointerSize, type Arch } from '../../src/include/structures.js';
import {
  readClientId, readIoStatusBlock, readLargeInteger, readMemoryBasicInformation, readObjectAttributes, readPointer,
  readSize, readUnicodeString, writeClientId, writeIoStatusBlock, writeLargeInteger, writeMemoryBasicInformation,
  writeObjectAttributes, writePointer, writeSize, writeUnicodeString, type StructMemory,
} from '../../src/include/struct-access.js';

import type { GuestMemory } from '../../src/kernel/mm/access.js';

/** The kernel's GuestMemory is a StructMemory (checked by tsc). */
const guestMemoryFits: GuestMemory extends StructMemory ? true : never = true;

type Layout = Readonly<Record<string, number>>;
type Row = { name: keyof typeof S; source: string; x64: Layout; x86: Layout };

// The expected numbers, written out from the sources named, not computed from the module under test.
const TABLE: Row[] = [
  { name: 'UNICODE_STRING', source: 'ntdef.h; learn.microsoft.com ns-ntdef-_unicode_string',
    x64: { size: 16, align: 8, Length: 0, MaximumLength: 2, Buffer: 8 },
    x86: { size: 8, align: 4, Length: 0, MaximumLength: 2, Buffer: 4 } },
  { name: 'OBJECT_ATTRIBUTES', source: 'ntdef.h; learn.microsoft.com ns-ntdef-_object_attributes',
    x64: { size: 48, align: 8, Length: 0, RootDirectory: 8, ObjectName: 16, Attributes: 24, SecurityDescriptor: 32, SecurityQualityOfService: 40 },
    x86: { size: 24, align: 4, Length: 0, RootDirectory: 4, ObjectName: 8, Attributes: 12, SecurityDescriptor: 16, SecurityQualityOfService: 20 } },
  { name: 'IO_STATUS_BLOCK', source: 'wdm.h; learn.microsoft.com ns-wdm-_io_status_block',
    x64: { size: 16, align: 8, Status: 0, Pointer: 0, Information: 8 },
    x86: { size: 8, align: 4, Status: 0, Pointer: 0, Information: 4 } },
  { name: 'OVERLAPPED', source: 'minwinbase.h; learn.microsoft.com ns-minwinbase-overlapped',
    x64: { size: 32, align: 8, Internal: 0, InternalHigh: 8, Offset: 16, OffsetHigh: 20, hEvent: 24 },
    x86: { size: 20, align: 4, Internal: 0, InternalHigh: 4, Offset: 8, OffsetHigh: 12, hEvent: 16 } },
  { name: 'LARGE_INTEGER', source: 'winnt.h; learn.microsoft.com ns-winnt-large_integer-r1',
    x64: { size: 8, align: 8, LowPart: 0, HighPart: 4, QuadPart: 0 },
    x86: { size: 8, align: 8, LowPart: 0, HighPart: 4, QuadPart: 0 } },
  { name: 'CLIENT_ID', source: '[MS-TSTS] 2.2.2.16.2.1 CLIENT_ID',
    x64: { size: 16, align: 8, UniqueProcess: 0, UniqueThread: 8 },
    x86: { size: 8, align: 4, UniqueProcess: 0, UniqueThread: 4 } },
  { name: 'MEMORY_BASIC_INFORMATION', source: 'winnt.h (PartitionId #if _WIN64); MEMORY_BASIC_INFORMATION32 is 0x1c, ...64 is 0x30',
    x64: { size: 48, align: 8, BaseAddress: 0, AllocationBase: 8, AllocationProtect: 16, PartitionId: 20, RegionSize: 24, State: 32, Protect: 36, Type: 40 },
    x86: { size: 28, align: 4, BaseAddress: 0, AllocationBase: 4, AllocationProtect: 8, RegionSize: 12, State: 16, Protect: 20, Type: 24 } },
  { name: 'SYSTEMTIME', source: 'minwinbase.h; learn.microsoft.com ns-minwinbase-systemtime',
    x64: { size: 16, align: 2, wYear: 0, wMonth: 2, wDayOfWeek: 4, wDay: 6, wHour: 8, wMinute: 10, wSecond: 12, wMilliseconds: 14 },
    x86: { size: 16, align: 2, wYear: 0, wMonth: 2, wDayOfWeek: 4, wDay: 6, wHour: 8, wMinute: 10, wSecond: 12, wMilliseconds: 14 } },
  { name: 'FILETIME', source: 'minwinbase.h; learn.microsoft.com ns-minwinbase-filetime',
    x64: { size: 8, align: 4, dwLowDateTime: 0, dwHighDateTime: 4 },
    x86: { size: 8, align: 4, dwLowDateTime: 0, dwHighDateTime: 4 } },
  { name: 'SERVICE_STATUS', source: 'winsvc.h; learn.microsoft.com ns-winsvc-service_status',
    x64: { size: 28, align: 4, dwServiceType: 0, dwCurrentState: 4, dwControlsAccepted: 8, dwWin32ExitCode: 12, dwServiceSpecificExitCode: 16, dwCheckPoint: 20, dwWaitHint: 24 },
    x86: { size: 28, align: 4, dwServiceType: 0, dwCurrentState: 4, dwControlsAccepted: 8, dwWin32ExitCode: 12, dwServiceSpecificExitCode: 16, dwCheckPoint: 20, dwWaitHint: 24 } },
  { name: 'KEY_VALUE_PARTIAL_INFORMATION', source: 'wdm.h; learn.microsoft.com ns-wdm-_key_value_partial_information',
    x64: { size: 16, align: 4, TitleIndex: 0, Type: 4, DataLength: 8, Data: 12 },
    x86: { size: 16, align: 4, TitleIndex: 0, Type: 4, DataLength: 8, Data: 12 } },
  { name: 'SECURITY_ATTRIBUTES', source: 'wtypesbase.h; learn.microsoft.com ns-wtypesbase-security_attributes',
    x64: { size: 24, align: 8, nLength: 0, lpSecurityDescriptor: 8, bInheritHandle: 16 },
    x86: { size: 12, align: 4, nLength: 0, lpSecurityDescriptor: 4, bInheritHandle: 8 } },
  { name: 'PORT_MESSAGE', source: 'ReactOS sdk/include/ndk/lpctypes.h (u1, u2, CLIENT_ID, MessageId, ClientViewSize)',
    x64: { size: 0x28, align: 8, DataLength: 0, TotalLength: 2, Type: 4, DataInfoOffset: 6, ClientId: 8, MessageId: 0x18, ClientViewSize: 0x20 },
    x86: { size: 0x18, align: 4, DataLength: 0, TotalLength: 2, Type: 4, DataInfoOffset: 6, ClientId: 8, MessageId: 0x10, ClientViewSize: 0x14 } },
  { name: 'CURDIR', source: 'ReactOS sdk/include/ndk/rtltypes.h',
    x64: { size: 24, align: 8, DosPath: 0, Handle: 16 },
    x86: { size: 12, align: 4, DosPath: 0, Handle: 8 } },
  { name: 'RTL_USER_PROCESS_PARAMETERS', source: 'ReactOS rtltypes.h; winternl.h (ImagePathName after Reserved1[16] + PVOID Reserved2[10])',
    x64: { MaximumLength: 0, Length: 4, Flags: 8, DebugFlags: 0xc, ConsoleHandle: 0x10, ConsoleFlags: 0x18, StandardInput: 0x20, StandardOutput: 0x28, StandardError: 0x30, CurrentDirectory: 0x38, CurrentDirectoryHandle: 0x48, DllPath: 0x50, ImagePathName: 0x60, CommandLine: 0x70, Environment: 0x80 },
    x86: { MaximumLength: 0, Length: 4, Flags: 8, DebugFlags: 0xc, ConsoleHandle: 0x10, ConsoleFlags: 0x14, StandardInput: 0x18, StandardOutput: 0x1c, StandardError: 0x20, CurrentDirectory: 0x24, CurrentDirectoryHandle: 0x2c, DllPath: 0x30, ImagePathName: 0x38, CommandLine: 0x40, Environment: 0x48 } },
  { name: 'TEB', source: 'ReactOS sdk/include/ndk/tests/win10_x64.c, win10_x86.c; NT_TIB.Self is its 7th pointer',
    x64: { NtTib: 0, Self: 0x30, ClientId: 0x40, UniqueProcess: 0x40, UniqueThread: 0x48, ProcessEnvironmentBlock: 0x60, LastErrorValue: 0x68, LastStatusValue: 0x1250 },
    x86: { NtTib: 0, Self: 0x18, ClientId: 0x20, UniqueProcess: 0x20, UniqueThread: 0x24, ProcessEnvironmentBlock: 0x30, LastErrorValue: 0x34, LastStatusValue: 0xbf4 } },
  { name: 'PEB', source: 'ReactOS sdk/include/ndk/peb_teb.h; winternl.h PEB; SessionId: Windows 10 public symbols (dt nt!_PEB)',
    x64: { BeingDebugged: 2, ImageBaseAddress: 0x10, Ldr: 0x18, ProcessParameters: 0x20, ProcessHeap: 0x30, SessionId: 0x2c0 },
    x86: { BeingDebugged: 2, ImageBaseAddress: 8, Ldr: 0xc, ProcessParameters: 0x10, ProcessHeap: 0x18, SessionId: 0x1d4 } },
];

describe('each boundary structure has the Windows 10 layout on both architectures', () => {
  for (const row of TABLE) {
    for (const arch of ['x64', 'x86'] as const) {
      it(`${row.name} on ${arch} (${row.source})`, () => {
        const layout = (S[row.name] as unknown as Record<Arch, Layout>)[arch];
        expect(layout).toEqual(row[arch]);
        expect(Object.isFrozen(layout)).toBe(true);
        expect(Object.isFrozen(S[row.name])).toBe(true);
        if ('size' in layout) expect(alignUp(layout.size!, layout.align!)).toBe(layout.size);
      });
    }
  }

  it('every exported structure is in the table', () => {
    const structs = Object.keys(S).filter((k) => /^[A-Z_]+$/.test(k));
    expect(structs.sort()).toEqual(TABLE.map((r) => r.name).sort());
  });
});

describe('the pure helpers', () => {
  it('accept the kernel\'s GuestMemory as a StructMemory', () => {
    expect(guestMemoryFits).toBe(true);
  });

  it('pointerSize is 8 on x64 and 4 on x86', () => {
    expect(pointerSize('x64')).toBe(8);
    expect(pointerSize('x86')).toBe(4);
  });

  it.each([[0, 8, 0], [1, 8, 8], [8, 8, 8], [13, 4, 16], [0x1_0000_0001, 0x1000, 0x1_0000_1000]])('alignUp(%d, %d) is %d', (n, a, want) => {
    expect(alignUp(n, a)).toBe(want);
  });
});

/** A flat little-endian memory from address 0, for the round trips. */
function flatMemory(size = 256): StructMemory & { bytes: Uint8Array } {
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  return {
    bytes,
    getUint8: (va) => view.getUint8(va),
    getUint16: (va) => view.getUint16(va, true),
    getUint32: (va) => view.getUint32(va, true),
    getBigUint64: (va) => view.getBigUint64(va, true),
    setUint8: (va, v) => view.setUint8(va, v),
    setUint16: (va, v) => view.setUint16(va, v, true),
    setUint32: (va, v) => view.setUint32(va, v, true),
    setBigUint64: (va, v) => view.setBigUint64(va, v, true),
    getBytes: (va, n) => bytes.slice(va, va + n),
    setBytes: (va, b) => bytes.set(b, va),
  };
}

const ARCHES = ['x64', 'x86'] as const;

describe('the readers and writers round-trip', () => {
  it.each(ARCHES)('a user pointer on %s', (arch) => {
    const mem = flatMemory();
    writePointer(mem, arch, 8, 0x7ffe_0000);
    expect(readPointer(mem, arch, 8)).toBe(0x7ffe_0000);
  });

  it('an x64 kernel pointer is stored sign-extended and read back as the 48-bit address', () => {
    const mem = flatMemory();
    writePointer(mem, 'x64', 0, 0xf780_0000_0000); // KUSER_SHARED_DATA, 0xFFFFF780'00000000
    expect(mem.getBigUint64(0)).toBe(0xffff_f780_0000_0000n);
    expect(readPointer(mem, 'x64', 0)).toBe(0xf780_0000_0000);
  });

  it('an x64 SIZE_T keeps its high half and is not sign-extended', () => {
    const mem = flatMemory();
    writeSize(mem, 'x64', 0, 0x1234_5678_9abc);
    expect(mem.getBigUint64(0)).toBe(0x1234_5678_9abcn);
    expect(readSize(mem, 'x64', 0)).toBe(0x1234_5678_9abc);
  });

  it.each([0n, 1n, -1n, 0x7fff_ffff_ffff_ffffn, -(1n << 63n), -10_000_000n])('LARGE_INTEGER %d', (v) => {
    const mem = flatMemory();
    writeLargeInteger(mem, 16, v);
    expect(readLargeInteger(mem, 16)).toBe(v);
  });

  it.each(ARCHES)('a UNICODE_STRING header on %s', (arch) => {
    const mem = flatMemory();
    writeUnicodeString(mem, arch, 32, 10, 12, 0x40_1000);
    expect(readUnicodeString(mem, arch, 32)).toEqual({ Length: 10, MaximumLength: 12, Buffer: 0x40_1000 });
    expect(mem.getUint16(32)).toBe(10);
    expect(mem.getUint32(32 + S.UNICODE_STRING[arch].Buffer)).toBe(0x40_1000);
  });

  it.each(ARCHES)('an OBJECT_ATTRIBUTES on %s', (arch) => {
    const mem = flatMemory();
    const oa = { Length: S.OBJECT_ATTRIBUTES[arch].size, RootDirectory: 0x44, ObjectName: 0x20_0010, Attributes: 0x240, SecurityDescriptor: 0, SecurityQualityOfService: 0x20_0100 };
    writeObjectAttributes(mem, arch, 64, oa);
    expect(readObjectAttributes(mem, arch, 64)).toEqual(oa);
    expect(mem.getUint32(64 + S.OBJECT_ATTRIBUTES[arch].Attributes)).toBe(0x240);
  });

  it.each(ARCHES)('an IO_STATUS_BLOCK on %s, with an error status kept unsigned', (arch) => {
    const mem = flatMemory();
    writeIoStatusBlock(mem, arch, 0, 0xc000_0005, 4096);
    expect(readIoStatusBlock(mem, arch, 0)).toEqual({ Status: 0xc000_0005, Information: 4096 });
    expect(mem.getUint32(S.IO_STATUS_BLOCK[arch].Information)).toBe(4096);
  });

  it.each(ARCHES)('a CLIENT_ID on %s', (arch) => {
    const mem = flatMemory();
    writeClientId(mem, arch, 8, 0x1a4, 0x1a8);
    expect(readClientId(mem, arch, 8)).toEqual({ UniqueProcess: 0x1a4, UniqueThread: 0x1a8 });
    expect(mem.getUint32(8 + S.CLIENT_ID[arch].UniqueThread)).toBe(0x1a8);
  });

  it.each(ARCHES)('a MEMORY_BASIC_INFORMATION on %s', (arch) => {
    const mem = flatMemory();
    mem.bytes.fill(0xcc);
    const mbi = { BaseAddress: 0x1_0000, AllocationBase: 0x1_0000, AllocationProtect: 0x04, ...(arch === 'x64' ? { PartitionId: 3 } : {}), RegionSize: 0x3000, State: 0x1000, Protect: 0x04, Type: 0x2_0000 };
    writeMemoryBasicInformation(mem, arch, 0, mbi);
    expect(readMemoryBasicInformation(mem, arch, 0)).toEqual(mbi);
    // Every byte of the structure is written: no 0xcc left inside it, none touched beyond it.
    const size = S.MEMORY_BASIC_INFORMATION[arch].size;
    expect([...mem.bytes.subarray(0, size)].includes(0xcc)).toBe(false);
    expect(mem.bytes[size]).toBe(0xcc);
  });
});
