/**
 * SharingMemory.exe, ported from Four-F's client (seed 003). It registers
 * and starts the driver through the service control manager, opens the
 * exclusive device, asks for the shared page, and shows the time the driver
 * writes there: hh:mm:ss once a second, where the original updated a dialog
 * from a 1000 ms WM_TIMER. The "dialog" stays open for --seconds seconds
 * (default 5). Then it closes the device (the driver unmaps in
 * IRP_MJ_CLEANUP), stops and deletes the service.
 */
import {
  DELETE, GENERIC_READ, HEAP_ZERO_MEMORY, INVALID_HANDLE_VALUE, OPEN_EXISTING, SC_MANAGER_ALL_ACCESS, SERVICE_CONTROL_STOP,
  SERVICE_DEMAND_START, SERVICE_ERROR_IGNORE, SERVICE_KERNEL_DRIVER, SERVICE_START, SERVICE_STOP, defineProgram, type K32,
} from 'ntshm/win32';
import { IOCTL_GIVE_ME_YOUR_MEMORY, SERVICE_NAME } from './ioctl.js';

const MAX_PATH = 260;

/** The dialog's time display: what the driver last wrote into the shared page, as hh:mm:ss. */
export function formatTime(k32: K32, pSharedMemory: number): string | undefined {
  const { ok, systemTime: st } = k32.FileTimeToSystemTime(pSharedMemory);
  if (!ok || !st) return undefined;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(st.wHour)}:${two(st.wMinute)}:${two(st.wSecond)}`;
}

/** `--seconds N` from the arguments. */
export function secondsArg(argv: string[], fallback = 5): number {
  const i = argv.indexOf('--seconds');
  const n = i >= 0 ? Number(argv[i + 1]) : fallback;
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : fallback;
}

/** What a variant may change in the client. */
export interface ClientHooks {
  /** What the dialog does with the shared page (its user address) for `seconds` seconds. */
  showTime?: (k32: K32, pSharedMemory: number, seconds: number) => Promise<void>;
  /** Runs just before the IOCTL (e.g. to use up the address space). */
  beforeIoctl?: (k32: K32) => void;
}

/** The client. */
export function sharingMemoryProgram({ showTime = showTimeEverySecond, beforeIoctl }: ClientHooks = {}) {
  return defineProgram(async (k32, argv) => {
    const seconds = secondsArg(argv);
    const heap = k32.GetProcessHeap();
    // g_pSharedMemory lives in the program's data; the driver's answer is written there.
    const pg_pSharedMemory = k32.HeapAlloc(heap, HEAP_ZERO_MEMORY, k32.sizeofPointer);
    const acModulePath = k32.HeapAlloc(heap, HEAP_ZERO_MEMORY, MAX_PATH * 2);

    const g_hSCManager = k32.OpenSCManagerW(null, null, SC_MANAGER_ALL_ACCESS);
    if (g_hSCManager !== 0) {
      k32.GetFullPathNameW('SharingMemory.sys', MAX_PATH, acModulePath);
      const { value: g_hService } = k32.CreateServiceW(g_hSCManager, SERVICE_NAME, 'Another way how to share memory',
        SERVICE_START | SERVICE_STOP | DELETE, SERVICE_KERNEL_DRIVER, SERVICE_DEMAND_START, SERVICE_ERROR_IGNORE, acModulePath);
      if (g_hService !== 0) {
        if (k32.StartServiceW(g_hService, 0, null)) {
          const g_hDevice = k32.CreateFileW('\\\\.\\SharingMemory', GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
          if (g_hDevice !== INVALID_HANDLE_VALUE) {
            beforeIoctl?.(k32);
            const { ok, bytesReturned } = await k32.DeviceIoControl(g_hDevice, IOCTL_GIVE_ME_YOUR_MEMORY, 0, 0, pg_pSharedMemory, k32.sizeofPointer);
            if (ok && bytesReturned === k32.sizeofPointer) {
              // Here g_pSharedMemory contains the pointer to the memory buffer mapped by the driver.
              await showTime(k32, k32.getPointer(pg_pSharedMemory), seconds);
            } else {
              k32.print(`Can't send control code to device. (error ${k32.GetLastError()})`);
            }
            k32.CloseHandle(g_hDevice);
          } else {
            k32.print(`Device is not present. (error ${k32.GetLastError()})`);
          }
          k32.ControlService(g_hService, SERVICE_CONTROL_STOP);
        } else {
          k32.print(`Can't start driver. (error ${k32.GetLastError()})`);
        }
        k32.DeleteService(g_hService);
        k32.CloseServiceHandle(g_hService);
      } else {
        k32.print(`Can't register driver. (error ${k32.GetLastError()})`);
      }
      k32.CloseServiceHandle(g_hSCManager);
    } else {
      k32.print(`Can't connect to Service Control Manager. (error ${k32.GetLastError()})`);
    }
    return k32.ExitProcess(0);
  }, 'SharingMemory.exe');
}

/** WM_INITDIALOG shows the time at once; WM_TIMER every 1000 ms after that. */
async function showTimeEverySecond(k32: K32, g_pSharedMemory: number, seconds: number): Promise<void> {
  const UpdateTime = () => {
    // It can't be zero but who cares...
    if (g_pSharedMemory === 0) return;
    const text = formatTime(k32, g_pSharedMemory);
    if (text) k32.print(text);
  };
  UpdateTime();
  // SetTimer's period does not stretch with the time WM_TIMER takes: each tick is due 1000 ms after the last was due.
  const start = k32.GetTickCount();
  for (let i = 1; i < seconds; i++) {
    await k32.Sleep(Math.max(0, start + i * 1000 - k32.GetTickCount()));
    UpdateTime();
  }
}
