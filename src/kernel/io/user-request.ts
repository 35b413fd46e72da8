/**
 * Dangerous primitives, proven: a driver that, on a program's request, maps
 * physical memory (MmMapIoSpace, a view of `\Device\PhysicalMemory`),
 * attaches to another process, or reads or writes a kernel address the
 * program chose (METHOD_NEITHER, unprobed) hands user mode a kernel
 * primitive. The finding says so, with the IOCTL code and the bytes of the
 * request that reached the primitive (the value it was given found in the
 * request's input), and carries the request as a replay: the same IOCTL,
 * input and output length, which `replayProgram` (src/machine/replay.ts)
 * sends again, so that a scenario file (`details.replay.scenario`) shows it
 * again.
 *
 * The request in progress is the user-mode IRP_MJ_DEVICE_CONTROL being
 * dispatched on this thread (NtDeviceIoControlFile marks it); its input is
 * read from the program's own buffer, which the program cannot change while
 * it waits in the call.
 */
import type { KThread } from '../ke/thread.js';
import type { IoContext } from './context.js';
import type { FileObject } from './objects.js';
import { frameFor } from './driver-load.js';
import { userProbeAddress } from '../ex/probe.js';

/** The user request being dispatched on a thread: the IOCTL, where its input is, the device it was sent to. */
export interface UserRequest {
  thread: KThread | null;
  code: number;
  inputVa: number;
  inputLength: number;
  outputLength: number;
  /** The file object the request was sent on (its `openedAs` names what the replay opens). */
  file: FileObject | null;
  driver: string;
}

/** The most bytes of a request's input a finding shows and a replay sends. */
const MAX_INPUT = 4096;

/** What a finding's replay holds: the request, and a scenario file that sends it again. */
export interface RequestReplay {
  path: string;
  ioctl: number;
  input: string;
  outputLength: number;
}

/** The Win32 path the replay opens: `\??\Name`, which a program opens as `\\.\Name`, or the NT path itself. */
function IopReplayPath(request: UserRequest): string {
  const nt = request.file?.openedAs ?? '';
  return nt.startsWith('\\??\\') ? `\\\\.\\${nt.slice(4)}` : nt;
}

/** The request's input bytes as the program passed them, or null if they cannot be read now. */
function IopRequestInput(k: IoContext, request: UserRequest): Uint8Array | null {
  const length = Math.min(request.inputLength, MAX_INPUT);
  if (length === 0 || request.inputVa === 0) return new Uint8Array(0);
  // Only a user-range buffer is read for the report: a kernel read at an address the program chose (a system
  // address, one past 2^48) would fault as the machine's own 0x50 instead of being reported. It has no bytes to replay.
  if (request.inputVa < 0 || request.inputVa + length > userProbeAddress(k)) return null;
  try {
    return k.kernelMemory.getBytes(request.inputVa, length);
  } catch {
    return null;
  }
}

/** Where `value` appears in `bytes` as a little-endian 4- or 8-byte integer (the offsets), empty if nowhere. */
function IopFindValue(bytes: Uint8Array, value: bigint): number[] {
  const found: number[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i + 4 <= bytes.length; i++) {
    const low = BigInt(view.getUint32(i, true));
    if (i + 8 <= bytes.length && view.getBigUint64(i, true) === value) found.push(i);
    else if (value <= 0xffff_ffffn && low === value) found.push(i);
  }
  return found;
}

const hex = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');

/**
 * A driver reached a dangerous primitive with `values` (a physical address,
 * a process id, a kernel address): if a user request is being dispatched on
 * this thread and one of them came in its input, the finding is made.
 * Returns whether it was.
 */
export function IopNoteDangerousPrimitive(k: IoContext, primitive: string, what: string, values: readonly bigint[]): boolean {
  const request = k.io.userRequest;
  if (request.thread === null || request.thread !== k.currentThread) return false;
  const input = IopRequestInput(k, request);
  if (input === null) return false;
  const matches = [...new Set(values)].flatMap((value) => IopFindValue(input, value).map((offset) => ({ value, offset })));
  if (matches.length === 0) return false;
  const driver = k.io.drivers.get(request.driver.toUpperCase());
  const frame = k.attribution.top() ?? (driver ? frameFor(driver, null, 'IRP_MJ_DEVICE_CONTROL') : undefined);
  const replay: RequestReplay = { path: IopReplayPath(request), ioctl: request.code, input: hex(input), outputLength: request.outputLength };
  const at = matches.map((m) => `0x${m.value.toString(16)} at offset ${m.offset}`).join(', ');
  k.report({
    kind: 'dangerous-primitive',
    driver: frame?.driver ?? request.driver,
    ...(frame ? { routine: frame.routine } : {}),
    message: `${frame ? `${frame.driver}!${frame.routine}` : request.driver} ${what}, with ${at} of the input of IOCTL 0x${request.code.toString(16)} ` +
      `from ${k.currentProcess.ImageFileName}: a program chooses what the kernel ${primitive === 'attach-process' ? 'attaches to' : 'maps or touches'} (replay: details.replay)`,
    details: { primitive, ioctl: `0x${request.code.toString(16)}`, input: replay.input, matches: matches.map((m) => ({ value: `0x${m.value.toString(16)}`, offset: m.offset })), replay },
  });
  return true;
}

/** The user request a METHOD_NEITHER check reports about, as its replay (null when none is being dispatched here). */
export function IopCurrentReplay(k: IoContext): RequestReplay | null {
  const request = k.io.userRequest;
  if (request.thread === null || request.thread !== k.currentThread) return null;
  const input = IopRequestInput(k, request);
  return input === null ? null : { path: IopReplayPath(request), ioctl: request.code, input: hex(input), outputLength: request.outputLength };
}

