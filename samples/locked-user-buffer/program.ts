/**
 * The program of seed 004's first method: it allocates the buffer, writes a
 * message in it and hands the driver its address and size; the driver locks
 * the pages and reads them through a kernel address of its own. The program
 * then writes again, and the driver reads the new text through the same
 * kernel address: one frame, two addresses. Last it asks the driver to
 * unlock and free the MDL.
 */
import {
  defineProgram, GENERIC_READ, GENERIC_WRITE, INVALID_HANDLE_VALUE, MEM_COMMIT, MEM_RELEASE, MEM_RESERVE, OPEN_EXISTING,
  PAGE_READWRITE, type K32,
} from 'ntshm/win32';
import {
  BUFFER_OFFSET, BUFFER_SIZE, FIRST_MESSAGE, IOCTL_LOCK_USER_BUFFER, IOCTL_READ_LOCKED_BUFFER, IOCTL_UNLOCK_USER_BUFFER,
  requestSize, SECOND_MESSAGE,
} from './ioctl.js';

/** How a variant of the program differs (variants.ts). */
export interface LockingProgramVariant {
  /** no-unlock: exit without IOCTL_UNLOCK_USER_BUFFER. */
  skipUnlock?: boolean;
  /** no-try: pass an address that was reserved but never committed. */
  uncommittedBuffer?: boolean;
}

export function lockedUserBufferProgram(variant: LockingProgramVariant = {}) {
  return defineProgram(async (k32: K32) => {
    const hDevice = k32.CreateFileW('\\\\.\\LockedUserBuffer', GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
    if (hDevice === INVALID_HANDLE_VALUE) {
      k32.print(`Can't open the device (error ${k32.GetLastError()})`);
      return k32.ExitProcess(1);
    }
    const commit = variant.uncommittedBuffer ? MEM_RESERVE : MEM_COMMIT | MEM_RESERVE;
    const region = k32.VirtualAlloc(0, 0x1000, commit, PAGE_READWRITE);
    const uva = region + BUFFER_OFFSET;
    if (!variant.uncommittedBuffer) k32.setString(uva, FIRST_MESSAGE, 'utf-16le');
    k32.print(`Buffer at ${uva.toString(16)}: "${variant.uncommittedBuffer ? '(reserved, never committed)' : FIRST_MESSAGE}"`);

    const request = k32.VirtualAlloc(0, 0x1000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    k32.setPointer(request, uva);
    k32.setUint32(request + k32.sizeofPointer, BUFFER_SIZE);
    const send = (code: number, input = 0, length = 0) => k32.DeviceIoControl(hDevice, code, input, length, 0, 0);

    let exitCode = 0;
    if ((await send(IOCTL_LOCK_USER_BUFFER, request, requestSize(k32.sizeofPointer))).ok) {
      // The driver holds the pages locked: what is written here, it reads at its own address.
      k32.setString(uva, SECOND_MESSAGE, 'utf-16le');
      k32.print(`Buffer now says "${SECOND_MESSAGE}"`);
      await send(IOCTL_READ_LOCKED_BUFFER);
      if (!variant.skipUnlock) await send(IOCTL_UNLOCK_USER_BUFFER);
    } else {
      k32.print(`IOCTL_LOCK_USER_BUFFER failed (error ${k32.GetLastError()})`);
      exitCode = 1;
    }
    if (!variant.skipUnlock) {
      k32.CloseHandle(hDevice);
      k32.VirtualFree(region, 0, MEM_RELEASE);
    }
    k32.VirtualFree(request, 0, MEM_RELEASE);
    return k32.ExitProcess(exitCode);
  }, 'LockedUserBuffer.exe');
}
