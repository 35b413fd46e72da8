/**
 * A program's JavaScript values no C program could pass, given to `k32`
 * routines, end as Windows would end the register's contents: a value a
 * register can hold is taken as one holds it (a bigint's low bits, true as
 * 1, NaN as 0 where the routine computes with a ULONG), and one no register
 * holds (a Symbol, an object whose valueOf throws) is the program's access
 * violation, raised in the program: catchable, else exit code 0xC0000005.
 * Never a host TypeError or RangeError (docs/fidelity.md, "Hostile
 * arguments from programs").
 */
import { describe, expect, it } from 'vitest';
import { boot } from 'ntshm';
import { STATUS_ACCESS_VIOLATION } from 'ntshm/wdm';
import { MEM_COMMIT, MEM_RESERVE, PAGE_READWRITE, type K32 } from 'ntshm/win32';
import { NtException } from '../../src/include/errors.js';

/** Runs `body` in a program; returns what it returned, or the error it threw (or its exit code if it ended the process). */
async function inProgram<T>(body: (k32: K32, page: number) => T | Promise<T>): Promise<{ value: T | undefined; error: unknown; exitCode: number | undefined }> {
  const machine = await boot();
  let value: T | undefined;
  let error: unknown;
  const program = machine.spawn(async (k32) => {
    const page = k32.VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    try {
      value = await body(k32, page);
    } catch (e) {
      error = e;
    }
    return 0;
  });
  await machine.run();
  return { value, error, exitCode: program.exitCode };
}

const isAccessViolation = (e: unknown): boolean => e instanceof NtException && e.status === STATUS_ACCESS_VIOLATION;
const throwing = () => ({ valueOf(): never { throw new Error('no value'); } });

describe('values no register holds are the program\'s access violation', () => {
  const calls: { what: string; call: (k32: K32, page: number, v: unknown) => unknown }[] = [
    { what: 'CloseHandle', call: (k32, _p, v) => k32.CloseHandle(v as number) },
    { what: 'NtClose', call: (k32, _p, v) => k32.NtClose(v as number) },
    { what: 'Sleep', call: (k32, _p, v) => k32.Sleep(v as number) },
    { what: 'SetLastError', call: (k32, _p, v) => k32.SetLastError(v as number) },
    { what: 'GetStdHandle', call: (k32, _p, v) => k32.GetStdHandle(v as number) },
    { what: "CreateFileW's name", call: (k32, _p, v) => k32.CreateFileW(v as string, 0, 0, null, 3, 0, null) },
    { what: 'VirtualAlloc', call: (k32, _p, v) => k32.VirtualAlloc(0, v as number, MEM_COMMIT, PAGE_READWRITE) },
    { what: "DeviceIoControl's code", call: (k32, _p, v) => k32.DeviceIoControl(4, v as number, 0, 0, 0, 0) },
    { what: 'getUint32', call: (k32, _p, v) => k32.getUint32(v as number) },
    { what: "getBytes' length", call: (k32, p, v) => k32.getBytes(p, v as number) },
    { what: "setBytes' bytes", call: (k32, p, v) => k32.setBytes(p, v as number[]) },
    { what: 'RegOpenKeyExW', call: (k32, _p, v) => k32.RegOpenKeyExW(v as number, 'SOFTWARE', 0, 0xf003f) },
    { what: "RegOpenKeyExW's sub key", call: (k32, _p, v) => k32.RegOpenKeyExW(0x80000002, v as string, 0, 0xf003f) },
    { what: "RtlAdjustPrivilege's privilege", call: (k32, _p, v) => k32.RtlAdjustPrivilege(v as number, true, false) },
  ];
  const values = [{ kind: 'a Symbol', value: () => Symbol('x') }, { kind: 'an object whose valueOf throws', value: throwing }];
  for (const { kind, value } of values) {
    it.each(calls)(`$what given ${kind}`, async ({ call }) => {
      const r = await inProgram((k32, page) => call(k32, page, value()));
      expect(isAccessViolation(r.error)).toBe(true);
      expect(r.exitCode).toBe(0);
    });
  }

  it('uncaught, it ends the process with 0xC0000005', async () => {
    const machine = await boot();
    const program = machine.spawn((k32) => { k32.CloseHandle(Symbol('x') as unknown as number); return 0; });
    await machine.run();
    expect(program.exitCode).toBe(STATUS_ACCESS_VIOLATION);
  });
});

describe('values a register can hold are taken as one holds them', () => {
  it('Sleep and SetLastError take a bigint\'s low 32 bits', async () => {
    const r = await inProgram(async (k32) => {
      await k32.Sleep(1n as unknown as number);
      k32.SetLastError((2n ** 40n + 87n) as unknown as number);
      return k32.GetLastError();
    });
    expect(r.error).toBeUndefined();
    expect(r.value).toBe(87);
  });

  it('GetStdHandle(-11n) is GetStdHandle(STD_OUTPUT_HANDLE)', async () => {
    const r = await inProgram((k32) => [k32.GetStdHandle(-11n as unknown as number), k32.GetStdHandle(-11)]);
    expect(r.error).toBeUndefined();
    expect(r.value![0]).toBe(r.value![1]);
  });

  it('the memory accessors take a bigint address, a NaN or fractional length, and an array of bigints as bytes', async () => {
    const r = await inProgram((k32, page) => {
      k32.setBytes(BigInt(page) as unknown as number, [1n, 2n, 0x103n] as unknown as number[]);
      return { word: k32.getUint32(BigInt(page) as unknown as number), none: k32.getBytes(page, NaN).length, some: k32.getBytes(page, 2.9).length };
    });
    expect(r.error).toBeUndefined();
    expect(r.value).toEqual({ word: 0x030201, none: 0, some: 2 });
  });

  it('an OVERLAPPED given as a bigint is its address: WriteFile, ReadFileEx, DeviceIoControl, GetOverlappedResult and HasOverlappedIoCompleted take it as they take the number', async () => {
    const r = await inProgram(async (k32, page) => {
      const big = BigInt(page) as unknown as number;
      // A handle that names nothing: each request fails in the kernel, not in the host.
      const write = k32.WriteFile(0x1234, page + 256, 4, big);
      const read = k32.ReadFileEx(0x1234, page + 256, 4, big, () => undefined);
      const io = await k32.DeviceIoControl(0x1234, 0x222000, 0, 0, 0, 0, big);
      const result = await k32.GetOverlappedResult(0x1234, big, false);
      return { write: write.ok, read, io: io.ok, result: result.ok, done: k32.HasOverlappedIoCompleted(big), error: k32.GetLastError() };
    });
    expect(r.error).toBeUndefined();
    // The requests failed before any wrote the OVERLAPPED: Internal is still the STATUS_PENDING k32 set (ERROR_IO_INCOMPLETE).
    expect(r.value).toEqual({ write: false, read: false, io: false, result: false, done: false, error: 996 });
  });

  it('getBytes of -1 bytes (2^64 - 1) faults where the bytes run out, without a host buffer of that size', async () => {
    const r = await inProgram((k32, page) => k32.getBytes(page, -1));
    expect(isAccessViolation(r.error)).toBe(true);
  });

  it('setBytes of null reads through a wild source pointer: an access violation', async () => {
    const r = await inProgram((k32, page) => k32.setBytes(page, null as unknown as number[]));
    expect(isAccessViolation(r.error)).toBe(true);
  });

  it('CreateFileW with a name that is no string reads a wild LPCWSTR: true (address 1) is an access violation', async () => {
    const r = await inProgram((k32) => k32.CreateFileW(true as unknown as string, 0, 0, null, 3, 0, null));
    expect(isAccessViolation(r.error)).toBe(true);
  });
});

describe('k32.print, ntshm\'s own convenience, prints whatever it is given', () => {
  it.each([
    { kind: 'a Symbol', value: () => Symbol('x'), printed: 'Symbol(x)' },
    { kind: 'an object whose toString throws', value: () => ({ toString(): never { throw new Error('no text'); } }), printed: 'a value that cannot be read' },
  ])('$kind', async ({ value, printed }) => {
    const machine = await boot();
    const program = machine.spawn(async (k32) => {
      k32.print(value() as unknown as string);
      return 0;
    });
    await machine.run();
    expect(program.exitCode).toBe(0);
    expect(program.stdout).toBe(`${printed}\n`);
  });
});
