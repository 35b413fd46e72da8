/**
 * InvertedCall.exe: the program half of the inverted call. It opens the
 * device for overlapped I/O and keeps PENDING_REQUESTS (4) requests waiting
 * in the driver, each with its own OVERLAPPED, output buffer and event, so
 * that an event that comes while it is busy with the last one still finds a
 * request to complete. It waits on all four events at once
 * (WaitForMultipleObjects), prints the record of whichever request ended,
 * and sends that slot's request again ("re-arms" it). After EVENTS_WANTED
 * (10) events it cancels what is still pending (CancelIoEx), waits until
 * each request has come back ERROR_OPERATION_ABORTED, and closes the device.
 * https://learn.microsoft.com/windows/win32/sync/synchronization-and-overlapped-input-and-output
 * https://learn.microsoft.com/windows/win32/fileio/cancelioex-func
 */
import {
  ERROR_IO_PENDING, ERROR_OPERATION_ABORTED, FILE_FLAG_OVERLAPPED, GENERIC_READ, HEAP_ZERO_MEMORY, INFINITE, INVALID_HANDLE_VALUE,
  OPEN_EXISTING, OVERLAPPED, WAIT_OBJECT_0, defineProgram, type K32,
} from 'ntshm/win32';
import { DEVICE_PATH, EVENT_RECORD, EVENTS_WANTED, IOCTL_WAIT_FOR_EVENT, PENDING_REQUESTS } from './ioctl.js';

/** One request the program keeps going: its OVERLAPPED (whose hEvent is `event`) and the buffer the record comes back in. */
interface Slot {
  readonly overlapped: number;
  readonly event: number;
  readonly record: number;
  /** When it was last sent (a counter): the oldest is the one the driver answers next. */
  sentAt: number;
}

/** What a variant changes in the program. */
export interface InvertedCallProgramOptions {
  /** The control code it sends (the neither-from-dpc variant's is METHOD_NEITHER). */
  ioctl?: number;
  /** After this event, give up on the oldest request alone (CancelIoEx with its OVERLAPPED). */
  cancelOldestAfterEvent?: number;
  /** How it leaves: cancel and collect its requests (the default), or close the device and exit with them still pending. */
  ending?: 'cancel' | 'close';
}

/** `hh:mm:ss.mmm` of a FILETIME in the program's memory (UTC, as KeQuerySystemTime gives it). */
function timeText(k32: K32, fileTime: number): string {
  const { ok, systemTime: st } = k32.FileTimeToSystemTime(fileTime);
  if (!ok || !st) return '??:??:??.???';
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(st.wHour)}:${pad(st.wMinute)}:${pad(st.wSecond)}.${pad(st.wMilliseconds, 3)}`;
}

/** How the program names the error a request ended with. */
function errorText(error: number): string {
  return error === ERROR_OPERATION_ABORTED ? 'cancelled (ERROR_OPERATION_ABORTED)' : `failed (error ${error})`;
}

export function invertedCallProgram({ ioctl = IOCTL_WAIT_FOR_EVENT, cancelOldestAfterEvent, ending = 'cancel' }: InvertedCallProgramOptions = {}) {
  return defineProgram(async (k32) => {
    const ov = OVERLAPPED[k32.sizeofPointer === 8 ? 'x64' : 'x86'];
    const hDevice = k32.CreateFileW(DEVICE_PATH, GENERIC_READ, 0, null, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, null);
    if (hDevice === INVALID_HANDLE_VALUE) {
      k32.print(`Device is not present. (error ${k32.GetLastError()})`);
      return 1;
    }
    const heap = k32.GetProcessHeap();
    let sent = 0;
    const slots: Slot[] = [];
    for (let i = 0; i < PENDING_REQUESTS; i++) {
      const overlapped = k32.HeapAlloc(heap, HEAP_ZERO_MEMORY, ov.size);
      // A manual-reset event per request: the I/O manager resets it when the request is sent and sets it when it ends.
      const event = k32.CreateEventW(null, true, false, null);
      k32.setPointer(overlapped + ov.hEvent, event);
      slots.push({ overlapped, event, record: k32.HeapAlloc(heap, HEAP_ZERO_MEMORY, EVENT_RECORD.size), sentAt: 0 });
    }

    /** Sends slot i's request; it stays pending in the driver until an event (or a cancel) ends it. */
    const arm = async (i: number): Promise<boolean> => {
      const slot = slots[i]!;
      slot.sentAt = ++sent;
      const { ok } = await k32.DeviceIoControl(hDevice, ioctl, 0, 0, slot.record, EVENT_RECORD.size, slot.overlapped);
      // FALSE with ERROR_IO_PENDING is the expected answer; TRUE (it ended at once) is fine too: the event is set.
      if (ok || k32.GetLastError() === ERROR_IO_PENDING) return true;
      k32.print(`request ${i + 1} failed. (error ${k32.GetLastError()})`);
      return false;
    };

    for (let i = 0; i < PENDING_REQUESTS; i++) if (!(await arm(i))) return 1;
    k32.print(`${PENDING_REQUESTS} requests pending; waiting for ${EVENTS_WANTED} events`);

    const events = slots.map((s) => s.event);
    let received = 0;
    let gaveUp = false;
    while (received < EVENTS_WANTED) {
      const waited = await k32.WaitForMultipleObjects(events.length, events, false, INFINITE);
      const i = waited - WAIT_OBJECT_0;
      const slot = slots[i];
      if (!slot) {
        k32.print(`WaitForMultipleObjects failed. (error ${k32.GetLastError()})`);
        return 1;
      }
      const { ok, numberOfBytesTransferred } = await k32.GetOverlappedResult(hDevice, slot.overlapped, false);
      if (ok && numberOfBytesTransferred === EVENT_RECORD.size) {
        received += 1;
        const sequence = k32.getUint32(slot.record + EVENT_RECORD.Sequence);
        k32.print(`event ${sequence} at ${timeText(k32, slot.record + EVENT_RECORD.Timestamp)} (request ${i + 1})`);
      } else {
        k32.print(`request ${i + 1}: ${errorText(k32.GetLastError())}`);
      }
      if (!(await arm(i))) return 1;
      if (received === cancelOldestAfterEvent && !gaveUp) {
        gaveUp = true;
        const oldest = slots.reduce((a, b) => (b.sentAt < a.sentAt ? b : a));
        k32.print(`giving up on request ${slots.indexOf(oldest) + 1}: CancelIoEx`);
        k32.CancelIoEx(hDevice, oldest.overlapped);
      }
    }

    if (ending === 'cancel') {
      // CancelIoEx does not wait; each cancelled request ends (its event set) once the driver has completed it.
      k32.print(`${EVENTS_WANTED} events received; cancelling the ${PENDING_REQUESTS} requests still pending`);
      k32.CancelIoEx(hDevice, null);
      await k32.WaitForMultipleObjects(events.length, events, true, INFINITE);
      for (const [i, slot] of slots.entries()) {
        const { ok } = await k32.GetOverlappedResult(hDevice, slot.overlapped, false);
        k32.print(`request ${i + 1}: ${ok ? 'completed' : errorText(k32.GetLastError())}`);
      }
    } else {
      k32.print(`${EVENTS_WANTED} events received; closing the device with ${PENDING_REQUESTS} requests still pending`);
    }
    k32.CloseHandle(hDevice);
    // The OVERLAPPEDs and buffers may go only now: a pending request would have the I/O manager write into them.
    if (ending === 'cancel') {
      for (const slot of slots) {
        k32.CloseHandle(slot.event);
        k32.HeapFree(heap, 0, slot.record);
        k32.HeapFree(heap, 0, slot.overlapped);
      }
    }
    return 0;
  }, 'InvertedCall.exe');
}
