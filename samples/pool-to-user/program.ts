/**
 * The program of seed 004's second method: it asks the driver for memory
 * and gets a user address of the driver's nonpaged pool, where it reads
 * what the driver wrote; then it asks the driver to unmap and free it.
 * In the free-while-mapped variant it looks at the same address once the
 * driver has freed the pool and allocated again.
 */
import {
  defineProgram, GENERIC_READ, GENERIC_WRITE, INVALID_HANDLE_VALUE, MEM_COMMIT, MEM_RELEASE, MEM_RESERVE, OPEN_EXISTING,
  PAGE_READWRITE, type K32,
} from 'ntshm/win32';
import { IOCTL_ALLOCATE_OTHER, IOCTL_MAP_POOL, IOCTL_UNMAP_POOL, requestSize } from './ioctl.js';

/** How a variant of the program differs (variants.ts). */
export interface PoolProgramVariant {
  /** free-while-mapped: after IOCTL_UNMAP_POOL, make the driver allocate again and look at the old address. */
  lookAfterFree?: boolean;
}

export function poolToUserProgram(variant: PoolProgramVariant = {}) {
  return defineProgram(async (k32: K32) => {
    const hDevice = k32.CreateFileW('\\\\.\\PoolToUser', GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
    if (hDevice === INVALID_HANDLE_VALUE) {
      k32.print(`Can't open the device (error ${k32.GetLastError()})`);
      return k32.ExitProcess(1);
    }
    // uva, uva_size: the program's own buffer, committed and not yet touched.
    const uva = k32.VirtualAlloc(0, 0x1000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    const io = k32.VirtualAlloc(0, 0x1000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    k32.setPointer(io, uva);
    k32.setUint32(io + k32.sizeofPointer, 0x400);
    const send = (code: number) => k32.DeviceIoControl(hDevice, code, io, requestSize(k32.sizeofPointer), io, k32.sizeofPointer);

    let exitCode = 0;
    const { ok } = await send(IOCTL_MAP_POOL);
    if (ok) {
      const pool = k32.getPointer(io);
      k32.print(`The driver's pool is at ${pool.toString(16)} in this process: "${k32.getString(pool, 'utf-16le', 64)}"`);
      await send(IOCTL_UNMAP_POOL);
      if (variant.lookAfterFree) {
        await send(IOCTL_ALLOCATE_OTHER);
        k32.print(`After the driver freed it, ${pool.toString(16)} shows: "${k32.getString(pool, 'utf-16le', 64)}"`);
      }
    } else {
      k32.print(`IOCTL_MAP_POOL failed (error ${k32.GetLastError()})`);
      exitCode = 1;
    }
    k32.CloseHandle(hDevice);
    k32.VirtualFree(io, 0, MEM_RELEASE);
    k32.VirtualFree(uva, 0, MEM_RELEASE);
    return k32.ExitProcess(exitCode);
  }, 'PoolToUser.exe');
}
