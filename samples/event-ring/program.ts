/**
 * EventRing.exe: opens the device, creates its event, and asks the driver
 * for the shared ring (IOCTL_EVENT_RING_SETUP with the event's handle). Then
 * the producer thread (CreateThread) puts requests in the request ring and
 * rings the doorbell, and the main thread consumes the records the driver
 * writes, waiting on the event whenever it finds the ring empty. Each record
 * carries the driver's sequence number: the consumer counts what is lost,
 * duplicated or torn and prints a summary. protocol.ts has the rules both
 * sides follow.
 */
import {
  defineProgram, GENERIC_READ, GENERIC_WRITE, INFINITE, INVALID_HANDLE_VALUE, MEM_COMMIT, MEM_RELEASE, MEM_RESERVE, OPEN_EXISTING,
  PAGE_READWRITE, WAIT_OBJECT_0, type K32,
} from 'ntshm/win32';
import {
  Capacity, CHECK_XOR, DEFAULT_CAPACITY, DEVICE_PATH, IOCTL_EVENT_RING_DOORBELL, IOCTL_EVENT_RING_SETUP, RECORD_RING, RECORD_SIZE,
  RECORDS_PER_REQUEST, RecordHead, RecordTail, REC_CHECK, REC_SEQUENCE, REQ_COUNT, REQ_ID, REQUEST_RING, REQUEST_SLOTS, RequestHead,
  RequestTail, TOTAL_RECORDS,
} from './protocol.js';

/** How a variant of the program differs (variants.ts). */
export interface EventRingProgramVariant {
  /** The ring size the program asks for (records). */
  capacity?: number;
  /** How many records it asks for in all. */
  total?: number;
}

/** The consumer's tally. */
interface Tally {
  received: number;
  expected: number;
  lost: number;
  duplicated: number;
  torn: number;
  batches: number;
  waits: number;
}

export function eventRingProgram(variant: EventRingProgramVariant = {}) {
  const capacity = variant.capacity ?? DEFAULT_CAPACITY;
  const total = variant.total ?? TOTAL_RECORDS;
  return defineProgram(async (k32: K32) => {
    const hDevice = k32.CreateFileW(DEVICE_PATH, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
    if (hDevice === INVALID_HANDLE_VALUE) {
      k32.print(`Can't open the device (error ${k32.GetLastError()})`);
      return k32.ExitProcess(1);
    }
    // Auto-reset events: "records are there" (the driver sets it) and "room was freed" (the consumer sets it).
    const hRecords = k32.CreateEventW(null, false, false, null);
    const hRoom = k32.CreateEventW(null, false, false, null);
    const io = k32.VirtualAlloc(0, 0x1000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    const ptr = k32.sizeofPointer;
    // struct { HANDLE Event; ULONG Capacity; }
    k32.setPointer(io, hRecords);
    k32.setUint32(io + ptr, capacity);
    const setup = await k32.DeviceIoControl(hDevice, IOCTL_EVENT_RING_SETUP, io, 2 * ptr, io, ptr);
    let exitCode = 1;
    if (setup.ok && setup.bytesReturned === ptr) {
      const shared = k32.getPointer(io);
      k32.print(`The ring is at ${shared.toString(16)}: ${k32.getUint32(shared + Capacity)} records of ${RECORD_SIZE} bytes`);
      const producer = makeProducer(hDevice, hRoom, total);
      const { value: hProducer } = k32.CreateThread(null, 0, producer, shared, 0);
      const tally = await consume(k32, shared, capacity, total, hRecords, hRoom);
      await k32.WaitForSingleObject(hProducer, INFINITE);
      const { exitCode: producerExit } = k32.GetExitCodeThread(hProducer);
      k32.CloseHandle(hProducer);
      const t = tally;
      k32.print(`Received ${t.received} records in ${t.batches} batches, ${t.waits} waits on the event: ` +
        `${t.lost} lost, ${t.duplicated} duplicated, ${t.torn} torn`);
      const clean = t.received === total && t.lost === 0 && t.duplicated === 0 && t.torn === 0 && producerExit === 0;
      k32.print(clean ? `All ${total} records arrived once each, in order.` : 'The ring lost its way.');
      exitCode = clean ? 0 : 2;
    } else {
      k32.print(`IOCTL_EVENT_RING_SETUP failed (error ${k32.GetLastError()})`);
    }
    // The driver unmaps in IRP_MJ_CLEANUP, here, in this process.
    k32.CloseHandle(hDevice);
    k32.CloseHandle(hRecords);
    k32.CloseHandle(hRoom);
    k32.VirtualFree(io, 0, MEM_RELEASE);
    return k32.ExitProcess(exitCode);
  }, 'EventRing.exe');
}

/** The consumer (the main thread): drains the record ring batch by batch (protocol.ts, rules 2, 3, 4 and 6): each batch
 * is copied out of the ring, the tail published, and the copies checked. */
async function consume(k32: K32, shared: number, capacity: number, total: number, hRecords: number, hRoom: number): Promise<Tally> {
  const t: Tally = { received: 0, expected: 0, lost: 0, duplicated: 0, torn: 0, batches: 0, waits: 0 };
  const ring = shared + RECORD_RING;
  let tail = 0;
  while (t.expected < total) {
    // The driver's head, once per batch.
    const head = k32.getUint32(shared + RecordHead);
    if (head === tail) {
      t.waits++;
      if ((await k32.WaitForSingleObject(hRecords, INFINITE)) !== WAIT_OBJECT_0) break;
      continue;
    }
    if (((head - tail) >>> 0) > capacity) {
      k32.print(`RecordHead ${head} is more than ${capacity} records past RecordTail ${tail}: not a head this ring can have`);
      break;
    }
    // Copy the batch out of the ring: one copy per contiguous run (two when it wraps).
    const count = (head - tail) >>> 0;
    const from = tail % capacity;
    const first = Math.min(count, capacity - from);
    const runs = [k32.getBytes(ring + from * RECORD_SIZE, first * RECORD_SIZE)];
    if (first < count) runs.push(k32.getBytes(ring, (count - first) * RECORD_SIZE));
    // Every record below head is copied out: publish the tail (a full barrier before the next read of the head).
    tail = head;
    k32.InterlockedExchange(shared + RecordTail, tail | 0);
    t.batches++;
    k32.SetEvent(hRoom);
    for (const run of runs) check(run, t);
  }
  return t;
}

/** Checks each record of a copied run: its sequence number follows the last one, and its check word matches. */
function check(run: Uint8Array, t: Tally): void {
  const v = new DataView(run.buffer, run.byteOffset, run.byteLength);
  for (let at = 0; at < run.byteLength; at += RECORD_SIZE) {
    const low = v.getUint32(at + REC_SEQUENCE, true);
    const seq = low + v.getUint32(at + REC_SEQUENCE + 4, true) * 2 ** 32;
    if (v.getUint32(at + REC_CHECK, true) !== ((low ^ CHECK_XOR) >>> 0)) t.torn++;
    if (seq > t.expected) t.lost += seq - t.expected;
    else if (seq < t.expected) t.duplicated++;
    if (seq >= t.expected) t.expected = seq + 1;
    t.received++;
  }
}

/** The producer thread: requests into the request ring, then the doorbell; when the driver says the ring is full, it waits for room. */
function makeProducer(hDevice: number, hRoom: number, total: number) {
  return async function Producer(k32: K32, shared: number): Promise<number> {
    const out = k32.VirtualAlloc(0, 0x1000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    let requestHead = 0;
    let posted = 0;
    let id = 0;
    for (;;) {
      // The driver's tail, once per batch: the slots below it are free again.
      const requestTail = k32.getUint32(shared + RequestTail);
      while (((requestHead - requestTail) >>> 0) < REQUEST_SLOTS && posted < total) {
        const slot = shared + REQUEST_RING + (requestHead % REQUEST_SLOTS) * RECORD_SIZE;
        const count = Math.min(RECORDS_PER_REQUEST, total - posted);
        k32.setUint32(slot + REQ_ID, ++id);
        k32.setUint32(slot + REQ_COUNT, count);
        requestHead = (requestHead + 1) >>> 0;
        posted += count;
      }
      // The requests are written; the locked exchange publishes the head after them.
      k32.InterlockedExchange(shared + RequestHead, requestHead | 0);
      const { ok } = await k32.DeviceIoControl(hDevice, IOCTL_EVENT_RING_DOORBELL, 0, 0, out, 8);
      if (!ok) {
        k32.print(`IOCTL_EVENT_RING_DOORBELL failed (error ${k32.GetLastError()})`);
        return 1;
      }
      const full = k32.getUint32(out + 4) !== 0;
      if (full) {
        await k32.WaitForSingleObject(hRoom, INFINITE);
        continue;
      }
      // Not full: the driver ran out of requests, so every posted one is served.
      if (posted === total) break;
    }
    k32.print(`Producer: ${id} requests of up to ${RECORDS_PER_REQUEST} records`);
    k32.VirtualFree(out, 0, MEM_RELEASE);
    return 0;
  };
}
