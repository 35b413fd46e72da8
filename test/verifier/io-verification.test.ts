/**
 * Driver Verifier's I/O verification (verifier/io-verification.ts): each
 * mishandling of an IRP is bug check 0xC9 DRIVER_VERIFIER_IOMANAGER_VIOLATION
 * with the page's P1 and parameters when ioVerification is on; with the
 * verifier off (or on without that option) Windows checks none of it, and
 * the run goes on.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xc9--driver-verifier-iomanager-violation
 */
import { describe, expect, it } from 'vitest';
import {
  CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, IO_NO_INCREMENT, METHOD_BUFFERED, STATUS_PENDING, STATUS_SUCCESS,
  type Irp, type IoStatusBlock,
} from 'ntshm/wdm';
import { GENERIC_READ, GENERIC_WRITE, MEM_COMMIT, MEM_RESERVE, OPEN_EXISTING, PAGE_READWRITE, type K32 } from 'ntshm/win32';
import { bootWith, runProgram, testDriver, type DispatchContext, type DispatchHandler } from '../helpers/test-driver.js';

const IOCTL = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_BUFFERED, FILE_ANY_ACCESS);
const INNER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x901, METHOD_BUFFERED, FILE_ANY_ACCESS);
const DIRQL = 3;

/** Builds a second IOCTL to the driver's own device (IoBuildDeviceIoControlRequest), which IoCallDriver sends. */
const innerIrp = ({ nt, device }: DispatchContext): Irp => {
  const iosb: IoStatusBlock = { Status: 0, Information: 0 };
  return nt.IoBuildDeviceIoControlRequest(INNER, device, null, 0, null, 0, false, null, iosb)!;
};

const noCancel = function CancelRoutine(): void {};

/** What each driver gets wrong, the 0xC9 P1 it earns, and which parameters identify it. */
const cases: { name: string; control: DispatchHandler; p1: number; params: (irp: number, device: number) => (number | 'nonzero')[] }[] = [
  {
    name: 'completes an IRP with STATUS_PENDING',
    control: ({ nt, irp }) => {
      irp.IoStatus.Status = STATUS_PENDING;
      nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
      return STATUS_SUCCESS;
    },
    p1: 0x06, params: (irp) => [STATUS_PENDING, irp, 0],
  },
  {
    name: 'returns from its dispatch routine at DISPATCH_LEVEL',
    control: ({ nt }) => { nt.KeRaiseIrql(2); },
    p1: 0x05, params: (_irp, device) => [device, 0, 2],
  },
  {
    name: 'completes an IRP with its cancel routine still set',
    control: ({ nt, irp }) => {
      nt.IoSetCancelRoutine(irp, noCancel);
      nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
    },
    p1: 0x07, params: (irp) => ['nonzero', irp, 0],
  },
  {
    name: 'calls IoCompleteRequest above DISPATCH_LEVEL',
    control: ({ nt, irp }) => {
      const { oldIrql } = nt.KeRaiseIrql(DIRQL);
      nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
      nt.KeLowerIrql(oldIrql);
    },
    p1: 0x0e, params: (irp) => [DIRQL, irp, 0],
  },
  {
    name: 'returns STATUS_PENDING without IoMarkIrpPending',
    control: ({ nt, irp }) => {
      nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
      return STATUS_PENDING;
    },
    p1: 0x23d, params: (irp, device) => ['nonzero', irp, device],
  },
  {
    name: 'marks an IRP pending and returns STATUS_SUCCESS',
    control: ({ nt, irp }) => {
      nt.IoMarkIrpPending(irp);
      nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
      return STATUS_SUCCESS;
    },
    p1: 0x23e, params: (irp, device) => ['nonzero', irp, device],
  },
  {
    name: 'sets IoStatus.Information past the METHOD_BUFFERED output buffer',
    control: ({ irp, stack }) => { irp.IoStatus.Information = stack.Parameters.DeviceIoControl.OutputBufferLength + 16; },
    p1: 0x312, params: (irp, device) => ['nonzero', irp, device],
  },
];

/** The driver-to-driver cases: the IRP is one the driver built and sends with IoCallDriver. */
const callCases: { name: string; send: (ctx: DispatchContext) => void; p1: number; params: (irp: number) => (number | 'nonzero')[] }[] = [
  {
    name: 'calls IoCallDriver above DISPATCH_LEVEL',
    send: (ctx) => {
      const irp = innerIrp(ctx);
      const { oldIrql } = ctx.nt.KeRaiseIrql(DIRQL);
      ctx.nt.IoCallDriver(ctx.device, irp);
      ctx.nt.KeLowerIrql(oldIrql);
    },
    p1: 0x10, params: () => [DIRQL, 0, 0],
  },
  {
    name: 'calls IoCallDriver with the cancel routine still set',
    send: (ctx) => {
      const irp = innerIrp(ctx);
      irp.CancelRoutine = noCancel;
      ctx.nt.IoCallDriver(ctx.device, irp);
    },
    p1: 0x203, params: (irp) => ['nonzero', irp, 'nonzero'],
  },
  {
    name: 'calls IoCallDriver with a NULL device object',
    send: (ctx) => { ctx.nt.IoCallDriver(null as never, innerIrp(ctx)); },
    p1: 0x204, params: (irp) => ['nonzero', irp, 0],
  },
];

async function run(control: DispatchHandler, verifier: boolean | { [option: string]: boolean }) {
  let irpAddress = 0;
  const driver = testDriver({
    control: (ctx) => {
      if (ctx.stack.Parameters.DeviceIoControl.IoControlCode === INNER) return undefined;
      irpAddress = ctx.irp.address;
      return control(ctx);
    },
  });
  const machine = await bootWith([driver], { seed: 1, verifier });
  await runProgram(machine, async (k32: K32) => {
    const h = k32.CreateFileW(driver.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
    const buffer = k32.VirtualAlloc(0, 0x1000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    await k32.DeviceIoControl(h, IOCTL, buffer, 16, buffer + 0x100, 16);
    k32.CloseHandle(h);
    return 0;
  }, { seconds: 2 });
  return { machine, irpAddress, device: driver.device.address };
}

const matches = (actual: number[], expected: (number | 'nonzero')[]): void => {
  expected.forEach((e, i) => (e === 'nonzero' ? expect(actual[i]).not.toBe(0) : expect(actual[i]).toBe(e)));
};

describe('I/O verification (0xC9)', () => {
  it.each(cases)('a driver that $name: 0xC9/$p1 with I/O verification', async (c) => {
    const { machine, irpAddress, device } = await run(c.control, { ioVerification: true });
    expect(machine.bugcheck?.code).toBe(0xc9);
    const [p1, ...rest] = machine.bugcheck!.params.map(Number);
    expect(p1).toBe(c.p1);
    matches(rest, c.params(irpAddress, device));
  });

  it.each(callCases)('a driver that $name: 0xC9/$p1 with I/O verification', async (c) => {
    let sent = 0;
    const { machine } = await run((ctx) => {
      const build = ctx.nt.IoBuildDeviceIoControlRequest;
      // Remember the IRP the driver builds, for P3.
      ctx.nt.IoBuildDeviceIoControlRequest = ((...a: Parameters<typeof build>) => {
        const irp = build(...a);
        sent = irp?.address ?? 0;
        return irp;
      }) as typeof build;
      try {
        c.send(ctx);
      } finally {
        ctx.nt.IoBuildDeviceIoControlRequest = build;
      }
    }, { ioVerification: true });
    expect(machine.bugcheck?.code).toBe(0xc9);
    const [p1, ...rest] = machine.bugcheck!.params.map(Number);
    expect(p1).toBe(c.p1);
    matches(rest, c.params(sent));
  });

  it.each(cases.filter((c) => c.p1 !== 0x05 && c.p1 !== 0x0e))('a driver that $name: no 0xC9 without I/O verification', async (c) => {
    for (const verifier of [false, { poolTracking: true }]) {
      const { machine } = await run(c.control, verifier);
      expect(machine.bugcheck?.code).not.toBe(0xc9);
    }
  });

  it('a dispatch routine that returns at DISPATCH_LEVEL goes unchecked without I/O verification: the IRQL is still raised when the request ends', async () => {
    const { machine } = await run(({ nt }) => { nt.KeRaiseIrql(2); }, false);
    expect(machine.bugcheck?.code).not.toBe(0xc9);
  });

  it('a right driver (complete with success, or mark pending and return STATUS_PENDING) runs clean with I/O verification', async () => {
    const { machine } = await run(({ nt, irp }) => {
      nt.IoMarkIrpPending(irp);
      irp.IoStatus.Status = STATUS_SUCCESS;
      nt.IoCompleteRequest(irp, IO_NO_INCREMENT);
      return STATUS_PENDING;
    }, { ioVerification: true });
    expect(machine.bugcheck).toBeUndefined();
  });
});
