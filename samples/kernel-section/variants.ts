/**
 * The variants of kernel-section (reference/misuse.md) and what each runs.
 * `squatting` shows the opened squatter's section in the log and the
 * finding `squatted`; the driver's changes of `view-in-user-process` and
 * `no-force-access-check` are each one file in variants/.
 */
import type { Machine, ScenarioVariant } from 'ntshm';
import { defineProgram, INVALID_HANDLE_VALUE, PAGE_READWRITE, type K32 } from 'ntshm/win32';
import { kernelSectionDriver } from './driver.js';
import { KERNEL_SECTION_NAME, SECTION_SIZE, SERVICE_NAME } from './names.js';
import { kernelSectionClient, kernelSectionProgram } from './program.js';
import { openForCallerDriver } from './variants/no-force-access-check.js';
import { viewInUserProcessDriver } from './variants/view-in-user-process.js';

export const variants: readonly ScenarioVariant[] = [
  { name: 'standard-user', summary: 'the client runs as a standard user: the section\'s DACL refuses it (ERROR_ACCESS_DENIED)' },
  { name: 'squatting', summary: 'a standard user creates the name first; the driver, creating with OBJ_OPENIF, opens the squatter\'s section (STATUS_OBJECT_NAME_EXISTS)' },
  { name: 'squatting-no-openif', summary: 'a standard user creates the name first; without OBJ_OPENIF, DriverEntry fails with STATUS_OBJECT_NAME_COLLISION' },
  { name: 'view-in-user-process', summary: 'the driver maps its own view in IRP_MJ_CREATE, in the program\'s process, and keeps it: finding driver-view-in-user-process' },
  { name: 'no-force-access-check', summary: 'a standard user asks the driver to open the section; ZwOpenSection without OBJ_FORCE_ACCESS_CHECK skips the DACL: finding access-check-bypassed' },
  { name: 'force-access-check', summary: 'the fix of no-force-access-check: with OBJ_FORCE_ACCESS_CHECK the standard user\'s open is STATUS_ACCESS_DENIED' },
  { name: 'physical-memory', summary: 'the program opens \\Device\\PhysicalMemory: STATUS_ACCESS_DENIED' },
];

/** A standard user's program that creates the name before the driver loads, and keeps it. */
const squatter = defineProgram(async (k32: K32) => {
  const h = k32.CreateFileMappingW(INVALID_HANDLE_VALUE, null, PAGE_READWRITE, 0, SECTION_SIZE, KERNEL_SECTION_NAME);
  k32.print(h === 0 ? `CreateFileMapping failed (error ${k32.GetLastError()})` : 'Squatter: created the section first');
  await k32.Sleep(2000);
  k32.CloseHandle(h);
  return 0;
}, 'Squatter.exe');

const physicalMemory = defineProgram((k32: K32) => {
  const r = k32.NtOpenSection(4 /* SECTION_MAP_READ */, { ObjectName: '\\Device\\PhysicalMemory', Attributes: 0x40 });
  k32.print(`NtOpenSection(\\Device\\PhysicalMemory) = 0x${(r.status >>> 0).toString(16).toUpperCase()}`);
  return 0;
}, 'PhysMem.exe');

/** Runs a squatter first, then loads the driver once the squatter holds the name. */
const squat = (openIf: boolean) => async (machine: Machine) => {
  machine.spawn(squatter, { user: 'user', session: 0 });
  await machine.run({ seconds: 1 });
  // DriverEntry's failure (STATUS_OBJECT_NAME_COLLISION without OBJ_OPENIF) is in the driver's DbgPrint.
  machine.loadDriver(SERVICE_NAME, kernelSectionDriver({ openIf }));
};

export const variantSetups: Record<string, (machine: Machine) => void | Promise<void>> = {
  'standard-user': (machine) => {
    machine.loadDriver(SERVICE_NAME, kernelSectionDriver());
    machine.spawn(kernelSectionProgram, { user: 'user' });
  },
  squatting: squat(true),
  'squatting-no-openif': squat(false),
  'view-in-user-process': (machine) => {
    machine.loadDriver(SERVICE_NAME, viewInUserProcessDriver());
    machine.spawn(kernelSectionClient({ openDevice: true }));
  },
  'no-force-access-check': (machine) => {
    machine.loadDriver(SERVICE_NAME, openForCallerDriver(false));
    machine.spawn(kernelSectionClient({ handleFromDriver: true }), { user: 'user' });
  },
  'force-access-check': (machine) => {
    machine.loadDriver(SERVICE_NAME, openForCallerDriver(true));
    machine.spawn(kernelSectionClient({ handleFromDriver: true }), { user: 'user' });
  },
  'physical-memory': (machine) => {
    machine.loadDriver(SERVICE_NAME, kernelSectionDriver());
    machine.spawn(physicalMemory);
  },
};
