/**
 * What the EventRing driver and its program share: the device, the two
 * control codes, the layout of the shared pages, and the protocol both sides
 * follow over them.
 *
 * THE SHARED PAGES (the driver's MmAllocatePagesForMdlEx pages, mapped at a
 * system address for the driver and at a user address in the program):
 *
 *   page 0  control   +0x000 RecordHead   ULONG  written by the driver only
 *                     +0x040 RecordTail   ULONG  written by the consumer thread only
 *                     +0x080 RequestHead  ULONG  written by the producer thread only
 *                     +0x0C0 RequestTail  ULONG  written by the driver only
 *                     +0x100 Capacity     ULONG  records in the record ring (the driver's, for the program to read)
 *           (each index on a 64-byte line of its own: a line one side writes is not one the other side writes)
 *   page 1  request ring: REQUEST_SLOTS requests of 64 bytes (program → driver)
 *   page 2… record ring: Capacity records of 64 bytes (driver → program)
 *
 * Each index is a free-running 32-bit count (it wraps at 2^32); the slot is
 * the count modulo the ring's size, a power of two. A ring holds
 * `head - tail` entries: empty when they are equal, full at its size.
 *
 * THE PROTOCOL (who writes what, when a record becomes visible):
 *
 * 1. One writer per index. The driver writes RecordHead and RequestTail; the
 *    consumer thread RecordTail; the producer thread RequestHead. Each writer
 *    keeps its own index in its own memory and never reads it back from the
 *    shared page (the program could have changed it there).
 * 2. A record is visible when RecordHead passes it. The driver writes a
 *    batch of records first (one copy per contiguous run of slots) and
 *    publishes the new RecordHead after, with InterlockedExchange: a locked
 *    instruction, which no earlier store passes. The consumer reads
 *    RecordHead, then copies out the records below it; on x86 and x64 a load
 *    is not reordered with an older load, so it sees the bytes the driver
 *    wrote before the head. A request is visible when RequestHead passes it,
 *    the same way in the other direction.
 * 3. A slot is free again when the tail passes it. The consumer has copied a
 *    record's bytes out before it publishes RecordTail past it (a store is
 *    not reordered with an older load), so the driver never overwrites a
 *    record still being read; the consumer checks its copy afterwards.
 * 4. Each side reads the other side's index ONCE PER BATCH, into a local,
 *    and works from that copy: the driver reads RecordTail and RequestHead
 *    once per doorbell, checks the copy (RequestHead - RequestTail must not
 *    exceed REQUEST_SLOTS), and uses only the checked copy. Reading the
 *    program's index again would use a value nobody checked (the
 *    double-fetch-index variant); reading it once per record would also cost
 *    a cache line miss per record where one per batch will do.
 * 5. The driver captures each request (its 64 bytes, read once into its own
 *    memory) before it looks at a field: Count is checked and used from the
 *    copy, never re-read from the page the program can still write.
 * 6. The wake-up. The consumer waits on its event only after it has seen the
 *    ring empty; the driver sets the event when it made the ring go from
 *    empty to non-empty. Neither side may miss the other:
 *      driver:   write records; InterlockedExchange(RecordHead, head);
 *                tail = InterlockedCompareExchange(RecordTail, 0, 0);
 *                if (tail == oldHead) KeSetEvent
 *    (the driver's second look at RecordTail in one doorbell is this
 *    synchronising load, a locked read, not a second fetch of data it uses:
 *    nothing it computed from the first is redone from it)
 *      consumer: InterlockedExchange(RecordTail, tail); head = RecordHead;
 *                if (head == tail) WaitForSingleObject(event)
 *    Each side stores its index and then loads the other's, and a plain x86
 *    store may be passed by a later load; the locked exchange forbids that
 *    (a full barrier), so at least one side sees the other's store: either
 *    the consumer sees the new head and does not wait, or the driver sees the
 *    consumer's tail equal to its old head and sets the event. The event is a
 *    synchronization (auto-reset) event, so a set that comes while the
 *    consumer is busy stays set until its next wait: at worst one spurious
 *    wake-up that finds the ring empty again.
 *
 * The driver writes records when the program asks it to (the doorbell,
 * IOCTL_EVENT_RING_DOORBELL, from the producer thread), at PASSIVE_LEVEL in
 * that thread, through its own system mapping of the pages.
 */
import { CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, METHOD_BUFFERED } from 'ntshm/wdm';

/**
 * IOCTL_EVENT_RING_SETUP: in struct { HANDLE Event; ULONG Capacity; } (the
 * program's event and the ring size it asks for); out PVOID, the shared pages'
 * user address.
 */
export const IOCTL_EVENT_RING_SETUP = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);
/**
 * IOCTL_EVENT_RING_DOORBELL: no input; out struct { ULONG Produced; ULONG Full; }: the records this call
 * wrote, and whether it stopped because the record ring had no room left.
 */
export const IOCTL_EVENT_RING_DOORBELL = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS);

export const SERVICE_NAME = 'EventRing';
export const DEVICE_NAME = '\\Device\\EventRing';
export const LINK_NAME = '\\DosDevices\\EventRing';
export const DEVICE_PATH = '\\\\.\\EventRing';

/** Both rings' entries are 64 bytes: one cache line. */
export const RECORD_SIZE = 64;
export const PAGE = 4096;

/** The control page's fields. */
export const RecordHead = 0x000;
export const RecordTail = 0x040;
export const RequestHead = 0x080;
export const RequestTail = 0x0c0;
export const Capacity = 0x100;

/** The request ring: page 1, 64 requests. */
export const REQUEST_RING = PAGE;
export const REQUEST_SLOTS = PAGE / RECORD_SIZE;
/** The record ring: from page 2. */
export const RECORD_RING = 2 * PAGE;

/** The ring size the program asks for (16 pages of records), and the largest and smallest the driver accepts. */
export const DEFAULT_CAPACITY = 1024;
export const MAX_CAPACITY = 1024;
export const MIN_CAPACITY = 64;

/** The bytes the shared pages take for a ring of `capacity` records. */
export const sharedBytes = (capacity: number): number => RECORD_RING + capacity * RECORD_SIZE;

/** A request (64 bytes): +0 RequestId ULONG, +4 Count ULONG (records wanted), the rest reserved. */
export const REQ_ID = 0;
export const REQ_COUNT = 4;
/** The most records one request may ask for. */
export const MAX_REQUEST_RECORDS = 4096;

/**
 * A record (64 bytes): +0 Sequence ULONG64 (the driver's count of records, from 0), +8 RequestId ULONG,
 * +12 Index ULONG (within its request), +16 Payload (44 bytes of the request id's low byte), +60 Check ULONG
 * (the sequence's low 32 bits XOR CHECK_XOR: written last, so a record read half-written does not check).
 */
export const REC_SEQUENCE = 0;
export const REC_REQUEST_ID = 8;
export const REC_INDEX = 12;
export const REC_PAYLOAD = 16;
export const REC_CHECK = 60;
export const CHECK_XOR = 0xa5a5a5a5;

/** How many records the sample moves, and how many one request asks for. */
export const TOTAL_RECORDS = 100_000;
export const RECORDS_PER_REQUEST = 250;
