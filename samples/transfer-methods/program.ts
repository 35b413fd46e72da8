/**
 * The program of seed 004's third part: it sends the same message with each
 * transfer method and reads the same reply back, then prints what it got.
 * The neither-no-probe variant passes a kernel address (KUSER_SHARED_DATA's
 * system-space alias) as METHOD_NEITHER's input, and prints what came back.
 */
import { defineProgram, GENERIC_READ, GENERIC_WRITE, INVALID_HANDLE_VALUE, MEM_COMMIT, MEM_RESERVE, OPEN_EXISTING, PAGE_READWRITE, type K32 } from 'ntshm/win32';
import { IOCTL_NEITHER, LEAK_BYTES, MESSAGE, MESSAGE_BYTES, METHODS, REPLY_BYTES } from './ioctl.js';

/** How a variant of the program differs (variants.ts). */
export interface TransferProgramVariant {
  /** neither-no-probe: METHOD_NEITHER's input is a kernel address. */
  kernelInput?: boolean;
  /** direct-zero-length: METHOD_OUT_DIRECT with an output length of 0. */
  zeroLengthOutput?: boolean;
  /** information-too-large: METHOD_BUFFERED with a 256-byte output buffer. */
  largeOutput?: boolean;
}

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');

export function transferMethodsProgram(variant: TransferProgramVariant = {}) {
  return defineProgram(async (k32: K32) => {
    const hDevice = k32.CreateFileW('\\\\.\\TransferMethods', GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
    if (hDevice === INVALID_HANDLE_VALUE) {
      k32.print(`Can't open the device (error ${k32.GetLastError()})`);
      return k32.ExitProcess(1);
    }
    const region = k32.VirtualAlloc(0, 0x2000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    const input = region;
    const output = region + 0x1000;
    let failures = 0;
    if (variant.kernelInput) {
      // KUSER_SHARED_DATA's system-space address: mapped and readable in every context, and no user address.
      const kernelVa = k32.sizeofPointer === 8 ? 0xf780_0000_0000 : 0xffdf_0000;
      const r = await k32.DeviceIoControl(hDevice, IOCTL_NEITHER, kernelVa, LEAK_BYTES, output, LEAK_BYTES);
      const got = hex(k32.getBytes(output, r.bytesReturned));
      k32.print(`METHOD_NEITHER with input ${kernelVa.toString(16)}: ${r.ok ? `${r.bytesReturned} kernel bytes came back: ${got}` : `failed (error ${k32.GetLastError()})`}`);
    } else {
      for (const [name, code] of METHODS) {
        k32.setString(input, MESSAGE, 'utf-16le');
        k32.setBytes(output, new Uint8Array(0x100));
        // METHOD_IN_DIRECT's second buffer is data for the driver: the message goes there.
        const inDirect = name === 'METHOD_IN_DIRECT';
        if (inDirect) k32.setString(output, MESSAGE, 'utf-16le');
        let outLength = inDirect ? MESSAGE_BYTES : REPLY_BYTES;
        if (variant.zeroLengthOutput && name === 'METHOD_OUT_DIRECT') outLength = 0;
        if (variant.largeOutput && name === 'METHOD_BUFFERED') outLength = 0x100;
        const r = await k32.DeviceIoControl(hDevice, code, inDirect ? 0 : input, inDirect ? 0 : MESSAGE_BYTES, output, outLength);
        if (!r.ok) failures++;
        const reply = r.bytesReturned > REPLY_BYTES
          ? `"${k32.getString(output, 'utf-16le', REPLY_BYTES / 2)}" and ${r.bytesReturned - REPLY_BYTES} more bytes: ${hex(k32.getBytes(output + REPLY_BYTES, 16))} ...`
          : r.bytesReturned > 0 ? `"${k32.getString(output, 'utf-16le', r.bytesReturned / 2)}"` : 'no reply (the driver only read)';
        k32.print(`${name.padEnd(17)} ${r.ok ? `ok, ${r.bytesReturned} bytes back: ${reply}` : `failed (error ${k32.GetLastError()})`}`);
      }
    }
    k32.CloseHandle(hDevice);
    return k32.ExitProcess(failures === 0 ? 0 : 1);
  }, 'TransferMethods.exe');
}
