/**
 * METHOD_NEITHER hands a driver the program's raw addresses, and nothing
 * checks them: the driver must ProbeForRead / ProbeForWrite them inside
 * try/except. A program that passes a kernel address to a driver that does
 * not probe gets the kernel to read (or write) kernel memory on its behalf.
 *
 * The finding `kernel-address-unprobed`: a METHOD_NEITHER request from user
 * mode whose Type3InputBuffer or UserBuffer (with a nonzero length) lies in
 * system space, which the driver completed without an error status and
 * without probing that address. Whether the driver then touched it is not
 * tracked (docs/fidelity.md): accepting it unprobed is the bug.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/using-neither-buffered-nor-direct-i-o
 */
import { NT_ERROR } from '../../include/ntstatus.js';
import type { IoContext } from './context.js';
import { frameFor } from './driver-load.js';
import { irpMajorFunctionName } from '../../include/wdm-constants.js';
import type { Irp } from './irp.js';
import type { DeviceObject } from './objects.js';
import { IopCurrentReplay } from './user-request.js';

/** One METHOD_NEITHER request from user mode under way: its system-space addresses, and those the driver probed. */
export interface NeitherWatch {
  readonly addresses: { name: 'Type3InputBuffer' | 'UserBuffer'; va: number }[];
  readonly probed: Set<number>;
}

/** The watch for a request, or null when neither address lies in system space. */
export function IopWatchNeither(k: IoContext, input: number, inLen: number, output: number, outLen: number): NeitherWatch | null {
  const top = k.layout.highestUserAddress;
  const addresses: NeitherWatch['addresses'] = [];
  if (inLen > 0 && input > top) addresses.push({ name: 'Type3InputBuffer', va: input });
  if (outLen > 0 && output > top) addresses.push({ name: 'UserBuffer', va: output });
  return addresses.length === 0 ? null : { addresses, probed: new Set() };
}

/** ProbeForRead / ProbeForWrite by a driver: the start address counts as probed for the request under way. */
export function IopNoteProbe(k: IoContext, address: number): void {
  k.io.neitherWatch?.probed.add(address);
}

/** After the request: a system-space address completed without an error and never probed is reported. */
export function IopCheckNeither(k: IoContext, watch: NeitherWatch, device: DeviceObject, irp: Irp, status: number): void {
  if (NT_ERROR(status >>> 0)) return;
  const unprobed = watch.addresses.filter((a) => !watch.probed.has(a.va));
  if (unprobed.length === 0) return;
  const driver = device.DriverObject;
  const frame = frameFor(driver, driver.MajorFunction[irp.stack[irp.StackCount - 1]!.MajorFunction], irpMajorFunctionName(0x0e));
  const list = unprobed.map((a) => `${a.name} ${k.formatAddress(a.va)}`).join(' and ');
  k.report({
    kind: 'kernel-address-unprobed',
    driver: frame.driver,
    routine: frame.routine,
    message: `${frame.driver}!${frame.routine} accepted a METHOD_NEITHER request from user mode with ${list}, in system space, without ProbeForRead/ProbeForWrite: ` +
      'the kernel reads or writes kernel memory on the program\'s behalf',
    // The request again (user-request.ts): the same IOCTL and input reach the same unprobed kernel address.
    details: { addresses: unprobed.map((a) => ({ name: a.name, va: k.formatAddress(a.va) })), status, ioctl: `0x${k.io.userRequest.code.toString(16)}`,
      replay: IopCurrentReplay(k) },
  });
}
