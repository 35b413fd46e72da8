/**
 * The second-open variant's second client: once the first has the device
 * open, it tries to open the exclusive device too. Windows' I/O manager
 * refuses a second open of a device created with Exclusive = TRUE:
 * CreateFile fails, GetLastError() = ERROR_ACCESS_DENIED.
 */
import { GENERIC_READ, INVALID_HANDLE_VALUE, OPEN_EXISTING, defineProgram, win32ErrorName } from 'ntshm/win32';

export const secondClient = defineProgram(async (k32) => {
  await k32.Sleep(1500);
  const h = k32.CreateFileW('\\\\.\\SharingMemory', GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
  if (h === INVALID_HANDLE_VALUE) {
    const error = k32.GetLastError();
    k32.print(`CreateFile(\\\\.\\SharingMemory) failed: GetLastError() = ${error} (${win32ErrorName(error)})`);
    return error;
  }
  k32.print(`CreateFile(\\\\.\\SharingMemory) succeeded: handle ${h}`);
  k32.CloseHandle(h);
  return 0;
}, 'SecondClient.exe');
