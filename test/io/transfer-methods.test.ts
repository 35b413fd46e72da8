/**
 * The three transfer methods, as the I/O manager prepares them for a driver
 * (https://learn.microsoft.com/windows-hardware/drivers/kernel/buffer-descriptions-for-i-o-control-codes):
 * METHOD_BUFFERED (a SystemBuffer both ways), METHOD_IN_DIRECT / METHOD_OUT_DIRECT
 * (input in a SystemBuffer, the output buffer probed and locked in Irp->MdlAddress),
 * METHOD_NEITHER (the raw user addresses); IRP_MJ_READ / IRP_MJ_WRITE by the device's
 * DO_BUFFERED_IO / DO_DIRECT_IO flags; boundary cases 4, 5, 6, 7, 8 of
 * reference/boundary-cases.md; machine.ioStats().
 */
import { describe, expect, it } from 'vitest';
import type { IoStats } from 'ntshm';
import {
  CTL_CODE, DO_BUFFERED_IO, DO_DIRECT_IO, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, IRP_BUFFERED_IO,
  IRP_MJ_READ, IRP_MJ_WRITE, METHOD_BUFFERED, METHOD_IN_DIRECT, METHOD_NEITHER, METHOD_OUT_DIRECT, NormalPagePriority,
  STATUS_SUCCESS, type Irp, type Nt,
} from 'ntshm/wdm';
import {
  ERROR_NO_SYSTEM_RESOURCES, ERROR_NOACCESS, GENERIC_READ, GENERIC_WRITE, MEM_COMMIT, MEM_RESERVE, OPEN_EXISTING, PAGE_READONLY,
  PAGE_READWRITE, type K32,
} from 'ntshm/win32';
import { bootWith, bytes, runProgram, testDriver, type DispatchHandler } from '../helpers/test-driver.js';

const ARCHES = ['x64', 'x86'] as const;
const ioctl = (method: number) => CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, method, FILE_ANY_ACCESS);
const INPUT = [1, 2, 3, 4, 5, 6, 7, 8];
const OUTPUT = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80];

const open = (k32: K32, path: string) => k32.CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
const commit = (k32: K32, size: number, protect = PAGE_READWRITE) => k32.VirtualAlloc(0, size, MEM_COMMIT | MEM_RESERVE, protect);

/** What a dispatch routine saw of the request. */
interface Seen {
  inputLength: number;
  outputLength: number;
  input: number[];
  systemBuffer: number;
  type3InputBuffer: number;
  userBuffer: number;
  hasMdl: boolean;
  mdlByteCount: number;
  flags: number;
}

/** Reads the input and writes OUTPUT where the method puts each buffer, as a correct driver does. */
function methodDriver(seen: Seen[]): DispatchHandler {
  return ({ nt, irp, stack }) => {
    const p = stack.Parameters.DeviceIoControl;
    const method = p.IoControlCode & 3;
    const s: Seen = {
      inputLength: p.InputBufferLength, outputLength: p.OutputBufferLength, input: [], systemBuffer: irp.AssociatedIrp.SystemBuffer,
      type3InputBuffer: p.Type3InputBuffer, userBuffer: irp.UserBuffer, hasMdl: irp.MdlAddress !== null,
      mdlByteCount: irp.MdlAddress?.ByteCount ?? 0, flags: irp.Flags,
    };
    seen.push(s);
    let output = 0;
    if (method === METHOD_NEITHER) {
      // Nothing was checked for us: probe both user addresses, inside try/except.
      try {
        nt.ProbeForRead(p.Type3InputBuffer, p.InputBufferLength, 1);
        nt.ProbeForWrite(irp.UserBuffer, p.OutputBufferLength, 1);
      } catch (e) {
        irp.IoStatus.Status = (e as { status: number }).status;
        return;
      }
      s.input = bytes(nt.getBytes(p.Type3InputBuffer, p.InputBufferLength));
      output = irp.UserBuffer;
    } else {
      s.input = p.InputBufferLength ? bytes(nt.getBytes(irp.AssociatedIrp.SystemBuffer, p.InputBufferLength)) : [];
      if (method === METHOD_BUFFERED) output = irp.AssociatedIrp.SystemBuffer;
      else if (irp.MdlAddress) output = nt.MmGetSystemAddressForMdlSafe(irp.MdlAddress, NormalPagePriority);
    }
    if (method === METHOD_IN_DIRECT || output === 0 || p.OutputBufferLength < OUTPUT.length) return;
    nt.setBytes(output, OUTPUT);
    irp.IoStatus.Information = OUTPUT.length;
  };
}

async function send(arch: 'x64' | 'x86', method: number,
  program: (k32: K32, h: number) => Promise<Record<string, unknown>>) {
  const seen: Seen[] = [];
  const driver = testDriver({ control: methodDriver(seen) });
  const machine = await bootWith([driver], { arch });
  const out: Record<string, unknown> = {};
  const { result, process } = await runProgram(machine, async (k32) => {
    const h = open(k32, driver.path);
    Object.assign(out, await program(k32, h));
    k32.CloseHandle(h);
    return 0;
  });
  expect(result.bugcheck).toBeUndefined();
  expect(process.exitCode).toBe(0);
  return { seen, out, machine, driver, method };
}

describe.each(ARCHES)('the transfer methods on %s', (arch) => {
  const table: [string, number, Partial<Seen>, number[], IoStats][] = [
    ['METHOD_BUFFERED: one SystemBuffer carries the input in and the output back', METHOD_BUFFERED,
      { hasMdl: false, type3InputBuffer: 0 }, OUTPUT,
      { buffered: { requests: 1, bytesCopiedIn: 8, bytesCopiedOut: 8 }, direct: { requests: 0, mdls: 0, bytesMapped: 0 }, neither: { requests: 0 } }],
    ['METHOD_IN_DIRECT: input in a SystemBuffer, the second buffer locked for reading in an MDL', METHOD_IN_DIRECT,
      { hasMdl: true, mdlByteCount: 0x20, type3InputBuffer: 0 }, [0, 0, 0, 0, 0, 0, 0, 0],
      { buffered: { requests: 0, bytesCopiedIn: 8, bytesCopiedOut: 0 }, direct: { requests: 1, mdls: 1, bytesMapped: 0x20 }, neither: { requests: 0 } }],
    ['METHOD_OUT_DIRECT: input in a SystemBuffer, the output written through the MDL\'s system address', METHOD_OUT_DIRECT,
      { hasMdl: true, mdlByteCount: 0x20, type3InputBuffer: 0 }, OUTPUT,
      { buffered: { requests: 0, bytesCopiedIn: 8, bytesCopiedOut: 0 }, direct: { requests: 1, mdls: 1, bytesMapped: 0x20 }, neither: { requests: 0 } }],
    ['METHOD_NEITHER: the driver gets the user addresses themselves', METHOD_NEITHER,
      { hasMdl: false, systemBuffer: 0 }, OUTPUT,
      { buffered: { requests: 0, bytesCopiedIn: 0, bytesCopiedOut: 0 }, direct: { requests: 0, mdls: 0, bytesMapped: 0 }, neither: { requests: 1 } }],
  ];
  it.each(table)('%s', async (_name, method, expected, outputSeen, stats) => {
    let inVa = 0;
    let outVa = 0;
    const { seen, out, machine } = await send(arch, method, async (k32, h) => {
      inVa = commit(k32, 0x1000);
      outVa = commit(k32, 0x1000) + 0x10;
      k32.setBytes(inVa, INPUT);
      const r = await k32.DeviceIoControl(h, ioctl(method), inVa, 8, outVa, 0x20);
      return { ok: r.ok, bytesReturned: r.bytesReturned, output: bytes(k32.getBytes(outVa, 8)) };
    });
    expect(seen).toHaveLength(1);
    const s = seen[0]!;
    expect(s).toMatchObject({ inputLength: 8, outputLength: 0x20, input: INPUT, ...expected });
    if (method === METHOD_NEITHER) expect([s.type3InputBuffer, s.userBuffer]).toEqual([inVa, outVa]);
    else expect(s.systemBuffer).not.toBe(0);
    if (method !== METHOD_NEITHER) expect(s.flags & IRP_BUFFERED_IO).toBe(IRP_BUFFERED_IO);
    expect(out).toEqual({ ok: true, bytesReturned: method === METHOD_IN_DIRECT ? 0 : 8, output: outputSeen });
    expect(machine.ioStats()).toEqual(stats);
    // The MDL was unlocked and freed with the IRP: no page of the program stays locked.
    expect(machine.kernel.mdl.live.size).toBe(0);
  });

  it('METHOD_OUT_DIRECT on a read-only page fails the write probe before the driver; METHOD_IN_DIRECT on it succeeds (boundary case 4)', async () => {
    const r = { outDirect: {} as unknown, inDirect: {} as unknown };
    const { seen, machine } = await send(arch, METHOD_OUT_DIRECT, async (k32, h) => {
      const ro = commit(k32, 0x1000, PAGE_READONLY);
      const o = await k32.DeviceIoControl(h, ioctl(METHOD_OUT_DIRECT), 0, 0, ro, 0x20);
      r.outDirect = { ok: o.ok, error: k32.GetLastError() };
      const i = await k32.DeviceIoControl(h, ioctl(METHOD_IN_DIRECT), 0, 0, ro, 0x20);
      r.inDirect = { ok: i.ok };
      return {};
    });
    expect(r).toEqual({ outDirect: { ok: false, error: ERROR_NOACCESS }, inDirect: { ok: true } });
    expect(seen.map((s) => s.hasMdl)).toEqual([true]);
    expect(machine.ioStats().direct).toEqual({ requests: 1, mdls: 1, bytesMapped: 0x20 });
  });

  it.each([METHOD_IN_DIRECT, METHOD_OUT_DIRECT])('method %i with a length no MDL can describe: STATUS_INSUFFICIENT_RESOURCES, no IRP (boundary case 5)', async (method) => {
    const { seen, out, machine } = await send(arch, method, async (k32, h) => {
      const va = commit(k32, 0x1000);
      const r = await k32.DeviceIoControl(h, ioctl(method), 0, 0, va, 0xffff_ffff);
      return { ok: r.ok, error: k32.GetLastError() };
    });
    expect(out).toEqual({ ok: false, error: ERROR_NO_SYSTEM_RESOURCES });
    expect(seen).toHaveLength(0);
    expect(machine.kernel.mdl.live.size).toBe(0);
  });

  it.each([METHOD_IN_DIRECT, METHOD_OUT_DIRECT])('method %i with output length 0: no MDL at Irp->MdlAddress (boundary case 6)', async (method) => {
    const { seen, out } = await send(arch, method, async (k32, h) => {
      const va = commit(k32, 0x1000);
      const r = await k32.DeviceIoControl(h, ioctl(method), 0, 0, va, 0);
      return { ok: r.ok };
    });
    expect(out).toEqual({ ok: true });
    expect(seen.map((s) => [s.hasMdl, s.systemBuffer])).toEqual([[false, 0]]);
  });

  it('METHOD_NEITHER with kernel addresses: nothing stops them before the driver, whose own probe raises (boundary case 7)', async () => {
    const { seen, out } = await send(arch, METHOD_NEITHER, async (k32, h) => {
      const kernelVa = arch === 'x64' ? 0xfffff780_00000000 : 0xffdf0000;
      const r = await k32.DeviceIoControl(h, ioctl(METHOD_NEITHER), kernelVa, 8, kernelVa, 8);
      return { ok: r.ok, error: k32.GetLastError() };
    });
    expect(seen).toHaveLength(1);
    expect(out).toEqual({ ok: false, error: ERROR_NOACCESS });
  });

  it('METHOD_NEITHER with a misaligned address probed for alignment 4: STATUS_DATATYPE_MISALIGNMENT (boundary case 8)', async () => {
    const statuses: number[] = [];
    const driver = testDriver({
      control: ({ nt, irp, stack }) => {
        try {
          nt.ProbeForRead(stack.Parameters.DeviceIoControl.Type3InputBuffer, 8, 4);
        } catch (e) {
          statuses.push((e as { status: number }).status);
          irp.IoStatus.Status = (e as { status: number }).status;
        }
      },
    });
    const machine = await bootWith([driver], { arch });
    await runProgram(machine, async (k32) => {
      const h = open(k32, driver.path);
      await k32.DeviceIoControl(h, ioctl(METHOD_NEITHER), commit(k32, 0x1000) + 2, 8, 0, 0);
      return 0;
    });
    expect(statuses).toEqual([0x80000002]);
  });

  it.each([METHOD_BUFFERED, METHOD_IN_DIRECT, METHOD_OUT_DIRECT])('method %i: a NULL input buffer with a length reaches the driver with InputBufferLength 0', async (method) => {
    const { seen, out } = await send(arch, method, async (k32, h) => {
      const r = await k32.DeviceIoControl(h, ioctl(method), 0, 8, 0, 0);
      return { ok: r.ok };
    });
    expect(out).toEqual({ ok: true });
    expect(seen.map((s) => [s.inputLength, s.systemBuffer])).toEqual([[0, 0]]);
  });

  it('METHOD_BUFFERED: a NULL output buffer with a length reaches the driver with OutputBufferLength 0, nothing copied back', async () => {
    const { seen, out, machine } = await send(arch, METHOD_BUFFERED, async (k32, h) => {
      const va = commit(k32, 0x1000);
      k32.setBytes(va, INPUT);
      const r = await k32.DeviceIoControl(h, ioctl(METHOD_BUFFERED), va, 8, 0, 0x20);
      return { ok: r.ok };
    });
    expect(out).toEqual({ ok: true });
    expect(seen.map((s) => [s.inputLength, s.outputLength])).toEqual([[8, 0]]);
    expect(machine.ioStats().buffered).toEqual({ requests: 1, bytesCopiedIn: 8, bytesCopiedOut: 0 });
  });
});

/** A device whose read and write routines use the buffer as its flags say. */
function readWriteDriver(flags: number, seen: { major: number; hasMdl: boolean; systemBuffer: number; userBuffer: number; data: number[] }[]) {
  const transfer = (nt: Nt, irp: Irp, major: number): number => {
    const length = nt.IoGetCurrentIrpStackLocation(irp).Parameters.Read.Length;
    const buffer = flags & DO_BUFFERED_IO ? irp.AssociatedIrp.SystemBuffer
      : flags & DO_DIRECT_IO ? nt.MmGetSystemAddressForMdlSafe(irp.MdlAddress, NormalPagePriority) : irp.UserBuffer;
    if (!(flags & (DO_BUFFERED_IO | DO_DIRECT_IO))) (major === IRP_MJ_READ ? nt.ProbeForWrite : nt.ProbeForRead)(buffer, length, 1);
    seen.push({ major, hasMdl: irp.MdlAddress !== null, systemBuffer: irp.AssociatedIrp.SystemBuffer, userBuffer: irp.UserBuffer,
      data: major === IRP_MJ_WRITE ? bytes(nt.getBytes(buffer, length)) : [] });
    if (major === IRP_MJ_READ) nt.setBytes(buffer, OUTPUT.slice(0, length));
    irp.IoStatus.Status = STATUS_SUCCESS;
    irp.IoStatus.Information = length;
    nt.IoCompleteRequest(irp, 0);
    return STATUS_SUCCESS;
  };
  return testDriver({
    entry: (nt, driverObject, device) => {
      device.Flags |= flags;
      driverObject.MajorFunction[IRP_MJ_READ] = function DispatchRead(_d, irp) { return transfer(nt, irp, IRP_MJ_READ); };
      driverObject.MajorFunction[IRP_MJ_WRITE] = function DispatchWrite(_d, irp) { return transfer(nt, irp, IRP_MJ_WRITE); };
    },
  });
}

describe.each(ARCHES)('IRP_MJ_READ and IRP_MJ_WRITE by the device\'s flags on %s', (arch) => {
  const table: [string, number, boolean, boolean, keyof IoStats][] = [
    ['DO_BUFFERED_IO: a SystemBuffer, copied in for a write and back for a read', DO_BUFFERED_IO, false, true, 'buffered'],
    ['DO_DIRECT_IO: the caller\'s pages locked in an MDL', DO_DIRECT_IO, true, false, 'direct'],
    ['neither: the caller\'s address in Irp->UserBuffer', 0, false, false, 'neither'],
  ];
  it.each(table)('%s', async (_name, flags, hasMdl, hasSystemBuffer, kind) => {
    const seen: Parameters<typeof readWriteDriver>[1] = [];
    const driver = readWriteDriver(flags, seen);
    const machine = await bootWith([driver], { arch });
    const out: unknown[] = [];
    await runProgram(machine, (k32) => {
      const h = open(k32, driver.path);
      const va = commit(k32, 0x1000);
      k32.setBytes(va, INPUT);
      out.push(k32.WriteFile(h, va, 8).numberOfBytesWritten);
      out.push(k32.ReadFile(h, va + 0x100, 8).numberOfBytesRead, bytes(k32.getBytes(va + 0x100, 8)));
      k32.CloseHandle(h);
      return 0;
    });
    expect(machine.bugcheck).toBeUndefined();
    expect(out).toEqual([8, 8, OUTPUT]);
    expect(seen.map((s) => s.major)).toEqual([IRP_MJ_WRITE, IRP_MJ_READ]);
    expect(seen[0]!.data).toEqual(INPUT);
    for (const s of seen) expect([s.hasMdl, s.systemBuffer !== 0]).toEqual([hasMdl, hasSystemBuffer]);
    expect(machine.ioStats()[kind].requests).toBe(2);
    if (kind === 'buffered') expect(machine.ioStats().buffered).toMatchObject({ bytesCopiedIn: 8, bytesCopiedOut: 8 });
    if (kind === 'direct') expect(machine.ioStats().direct).toEqual({ requests: 2, mdls: 2, bytesMapped: 16 });
    expect(machine.kernel.mdl.live.size).toBe(0);
  });
});

