/**
 * What SecTest.exe does before IOCTL_SECTION_MESSAGE in the `wrong-context`
 * and `no-try` variants, whose driver maps its view in one request and uses
 * it in the next: it asks for the view (IOCTL_SECTION_MAP_VIEW) and looks at
 * the address the driver returns.
 *
 *   wrong-context  VirtualQuery of that address in the program's own
 *                  process: nothing of the section is there (the driver's
 *                  worker mapped it into the System process). The program
 *                  then sends the address of its own view, where the message is.
 *   no-try         a second thread of the program unmaps the driver's view
 *                  (UnmapViewOfFile: the view is in the program's process)
 *                  and the main thread waits for it before the next request.
 *
 * The program allocates the requests' buffer before it maps its view. Both
 * address spaces are allocated bottom-up, and the System process's user
 * space is empty: had the program's view been its first allocation, it
 * would be at the very address where the worker's view lands in the System
 * process (0x10000), and the worker's read of the program's address would
 * read its own view of the same section, working by accident.
 */
import { INFINITE, MEM_FREE, MEM_MAPPED, MEM_PRIVATE, type K32 } from 'ntshm/win32';
import { IOCTL_SECTION_MAP_VIEW } from '../ioctl.js';

const hex = (va: number) => `0x${va.toString(16)}`;

/** Runs the variant's steps; the input buffer for IOCTL_SECTION_MESSAGE (0 for none). */
export async function beforeMessage(k32: K32, hDevice: number, pView: number, buffer: number, variant: 'wrong-context' | 'no-try'): Promise<number> {
  const { ok } = await k32.DeviceIoControl(hDevice, IOCTL_SECTION_MAP_VIEW, 0, 0, buffer, k32.sizeofPointer);
  if (!ok) {
    k32.print(`IOCTL_SECTION_MAP_VIEW failed (error ${k32.GetLastError()})`);
    return 0;
  }
  const driverView = k32.getPointer(buffer);
  k32.print(`The driver mapped its view at ${hex(driverView)}`);
  if (variant === 'wrong-context') {
    // The driver's view would be a view (MEM_MAPPED) of our section; whatever else is there, it is not.
    const { buffer: mbi } = k32.VirtualQuery(driverView);
    const what = !mbi || mbi.State === MEM_FREE ? 'free (MEM_FREE)' : mbi.Type === MEM_MAPPED ? 'a mapped view'
      : mbi.Type === MEM_PRIVATE ? (mbi.AllocationBase === buffer ? 'our request buffer (MEM_PRIVATE)' : 'private memory (MEM_PRIVATE)') : 'an image';
    k32.print(`In SecTest.exe, ${hex(driverView)} is ${what}: ` +
      `${mbi?.Type === MEM_MAPPED ? 'a view, perhaps the driver\'s' : 'the driver\'s view is not in this process'}`);
    // The message is in our own view: tell the driver where.
    k32.setPointer(buffer, pView);
    return buffer;
  }
  const thread = k32.CreateThread(null, 0, async (t: K32) => (t.UnmapViewOfFile(driverView) ? 0 : t.GetLastError()), 0, 0).value;
  await k32.WaitForSingleObject(thread, INFINITE);
  const { exitCode } = k32.GetExitCodeThread(thread);
  k32.CloseHandle(thread);
  k32.print(exitCode === 0 ? `A second thread unmapped the driver's view at ${hex(driverView)}` : `UnmapViewOfFile failed (error ${exitCode})`);
  return 0;
}
