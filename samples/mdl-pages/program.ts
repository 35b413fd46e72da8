/**
 * The client of seed 002 (the article's Qt window, habr_app.exe) without the
 * window: it opens \\.\SharedMemory and then does what its buttons do, one
 * action at a time, from a script or from the person at the terminal
 * (`ntshm run mdl-pages --interactive`):
 *   Allocate  DeviceIoControl(IOCTL_ALLOCATE_SHARED_MEMORY): the driver's
 *             pages land in this process; data = *vaReturned
 *   Fill      shows the first ten USHORTs at data (the article's "Fill TextEdit")
 *   Release   DeviceIoControl(IOCTL_RELEASE_SHARED_MEMORY)
 *   Quit      closes the device and exits (closing the window)
 */
import type { ScenarioInput } from 'ntshm';
import { defineProgram, FILE_SHARE_READ, FILE_SHARE_WRITE, GENERIC_READ, GENERIC_WRITE, INVALID_HANDLE_VALUE, MEM_COMMIT, MEM_RELEASE, MEM_RESERVE, OPEN_EXISTING, PAGE_READWRITE, type K32 } from 'ntshm/win32';
import { ACTIONS, DEVICE_PATH, IOCTL_ALLOCATE_SHARED_MEMORY, IOCTL_RELEASE_SHARED_MEMORY, VALUE_COUNT, type Action } from './ioctl.js';

/** Where the client's next action comes from: a script (the default: Allocate, Fill, Release), or a person. */
export function actionSource(script: readonly Action[], input: ScenarioInput | undefined): () => Promise<Action> {
  if (input) return async () => (await input.choose('SharedMemory client: press a button', ACTIONS)) as Action;
  const left = [...script];
  return async () => left.shift() ?? 'Quit';
}

export function sharedMemoryClient(next: () => Promise<Action>) {
  return defineProgram(async (k32: K32) => {
    const hDevice = k32.CreateFileW(DEVICE_PATH, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, null, OPEN_EXISTING, 0, null);
    if (hDevice === INVALID_HANDLE_VALUE) {
      k32.print(`Can't open ${DEVICE_PATH} (error ${k32.GetLastError()})`);
      return k32.ExitProcess(1);
    }
    // vaReturned: where the driver writes the pointer. The article passes sizeof(int), a pointer's size on its 32-bit Windows.
    const vaReturned = k32.VirtualAlloc(0, 0x1000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    let data = 0;
    for (;;) {
      const action = await next();
      if (action === 'Quit') break;
      if (action === 'Allocate') {
        const { ok } = await k32.DeviceIoControl(hDevice, IOCTL_ALLOCATE_SHARED_MEMORY, 0, 0, vaReturned, k32.sizeofPointer);
        if (ok) {
          data = k32.getPointer(vaReturned);
          k32.print(`Allocate memory: the shared memory is at ${data.toString(16)} in this process`);
        } else {
          k32.print(`Allocate memory failed (error ${k32.GetLastError()})`);
        }
      } else if (action === 'Fill') {
        if (data === 0) {
          k32.print('Fill TextEdit: nothing allocated yet');
          continue;
        }
        const values: number[] = [];
        for (let i = 0; i < VALUE_COUNT; i++) values.push(k32.getUint16(data + 2 * i));
        k32.print(`Fill TextEdit: ${values.join(' ')}`);
      } else {
        const { ok } = await k32.DeviceIoControl(hDevice, IOCTL_RELEASE_SHARED_MEMORY, 0, 0, 0, 0);
        k32.print(ok ? 'Release memory: released' : `Release memory failed (error ${k32.GetLastError()})`);
        if (ok) data = 0;
      }
    }
    k32.CloseHandle(hDevice);
    k32.VirtualFree(vaReturned, 0, MEM_RELEASE);
    return k32.ExitProcess(0);
  }, 'habr_app.exe');
}
