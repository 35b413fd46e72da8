/**
 * The user/kernel boundary is the system-service table and nothing else:
 * every k32 routine that needs the kernel is seen there (the SCM's included,
 * as messages over its port), every argument is a number, and k32's modules
 * hold no reference to the kernel.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { boot } from 'ntshm';
import {
  GENERIC_READ, MEM_COMMIT, MEM_RELEASE, MEM_RESERVE, OPEN_EXISTING, PAGE_READONLY, PAGE_READWRITE, SC_MANAGER_ALL_ACCESS,
  SERVICE_DEMAND_START, SERVICE_ERROR_IGNORE, SERVICE_KERNEL_DRIVER, STD_OUTPUT_HANDLE, type K32,
} from 'ntshm/win32';
import { load, testDriver } from '../helpers/test-driver.js';
import { importSpecifiers } from '../layering/imports.js';

/** One row: a routine, how a program calls it, and the services it must have entered. */
type Row = [routine: string, call: (k32: K32, path: string) => unknown, services: string[]];

const rows: Row[] = [
  ['print', (k32) => k32.print('hello'), ['NtWriteFile']],
  ['WriteFile', (k32) => {
    const va = k32.VirtualAlloc(0, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    k32.setBytes(va, [0x68, 0x69, 0x0a]);
    return k32.WriteFile(k32.GetStdHandle(STD_OUTPUT_HANDLE), va, 3);
  }, ['NtAllocateVirtualMemory', 'NtWriteFile']],
  ['WriteConsoleW', (k32) => k32.WriteConsoleW(k32.GetStdHandle(STD_OUTPUT_HANDLE), 'hi\n', 3), ['NtWriteFile']],
  ['CreateFileW and CloseHandle', (k32, path) => k32.CloseHandle(k32.CreateFileW(path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null)),
    ['NtCreateFile', 'NtClose']],
  ['DeviceIoControl', async (k32, path) => {
    const h = k32.CreateFileW(path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
    await k32.DeviceIoControl(h, 0x0022_0000, 0, 0, 0, 0);
  }, ['NtCreateFile', 'NtDeviceIoControlFile']],
  ['VirtualAlloc, VirtualProtect, VirtualQuery, VirtualFree', (k32) => {
    const va = k32.VirtualAlloc(0, 0x1000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    k32.VirtualProtect(va, 0x1000, PAGE_READONLY);
    k32.VirtualQuery(va);
    k32.VirtualFree(va, 0, MEM_RELEASE);
  }, ['NtAllocateVirtualMemory', 'NtProtectVirtualMemory', 'NtQueryVirtualMemory', 'NtFreeVirtualMemory']],
  ['HeapAlloc', (k32) => k32.HeapAlloc(k32.GetProcessHeap(), 0, 64), ['NtAllocateVirtualMemory']],
  ['Sleep(0)', (k32) => k32.Sleep(0), ['NtYieldExecution']],
  ['SwitchToThread', (k32) => k32.SwitchToThread(), ['NtYieldExecution']],
  ['Sleep(10)', (k32) => k32.Sleep(10), ['NtDelayExecution']],
  ['the service control manager', (k32) => {
    const scm = k32.OpenSCManagerW(null, null, SC_MANAGER_ALL_ACCESS);
    const { value: service } = k32.CreateServiceW(scm, 'Boundary', 'Boundary', 0x000f_01ff, SERVICE_KERNEL_DRIVER, SERVICE_DEMAND_START,
      SERVICE_ERROR_IGNORE, 'C:\\boundary.sys');
    k32.QueryServiceStatus(service);
    k32.DeleteService(service);
    k32.CloseServiceHandle(service);
    k32.CloseServiceHandle(scm);
  }, ['NtConnectPort', 'NtRequestWaitReplyPort']],
  ['ExitProcess', (k32) => k32.ExitProcess(0), ['NtTerminateProcess']],
];

/** Runs `call` in a program and returns the services its thread entered, and their arguments' types. */
async function servicesOf(call: Row[1]): Promise<{ names: string[]; argTypes: Set<string> }> {
  const machine = await boot();
  const driver = testDriver();
  load(machine, driver);
  const names: string[] = [];
  const argTypes = new Set<string>();
  machine.onSystemCall((name, args, process) => {
    if (process !== 'boundary.exe') return;
    names.push(name);
    for (const a of args) argTypes.add(Number.isInteger(a) ? 'integer' : typeof a);
  });
  machine.spawn(async (k32) => {
    await call(k32, driver.path);
    return 0;
  }, { name: 'boundary.exe' });
  const result = await machine.run({ seconds: 5 });
  expect(result.bugcheck).toBeUndefined();
  return { names, argTypes };
}

describe('the user/kernel boundary', () => {
  it.each(rows)('%s reaches the kernel through the service table', async (_routine, call, services) => {
    const { names, argTypes } = await servicesOf(call);
    for (const s of services) expect(names).toContain(s);
    // Numbers only: no string, object or function crosses.
    expect([...argTypes]).toEqual(argTypes.size === 0 ? [] : ['integer']);
  });

  it('GetCurrentProcessId, GetCurrentThreadId and GetTickCount read the TEB and KUSER_SHARED_DATA, entering no service', async () => {
    const seen: number[] = [];
    const { names } = await servicesOf((k32) => seen.push(k32.GetCurrentProcessId(), k32.GetCurrentThreadId(), k32.GetTickCount()));
    expect(names).toEqual([]);
    expect(seen[0]).toBeGreaterThan(0);
    expect(seen[1]).toBeGreaterThan(seen[0]!);
  });

  it('k32 and its helpers import nothing of the kernel but types and the pure RtlNtStatusToDosError', () => {
    const root = fileURLToPath(new URL('../../src/api/', import.meta.url));
    const userMode = ['k32.ts', 'advapi32.ts', 'native.ts', 'user-stack.ts', 'heap.ts', 'memory-accessors.ts', 'wdm-macros.ts'];
    for (const file of userMode) {
      const text = readFileSync(root + file, 'utf8');
      const kernelImports = importSpecifiers(text).filter((s) => s.includes('/kernel/'));
      for (const spec of kernelImports) {
        const line = text.split('\n').find((l) => l.includes(`'${spec}'`)) ?? '';
        const allowed = spec.endsWith('/kernel/ex/status-to-dos.js') || /^import type /.test(line);
        expect(allowed, `${file} imports ${spec}: ${line}`).toBe(true);
      }
    }
  });
});
