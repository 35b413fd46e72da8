/**
 * Driver Verifier's Security Checks (verifier/user-address.ts,
 * verifier/neither-probe.ts): a Zw routine given a user-mode address is
 * 0xC4/0xE3, a KernelMode IRP carrying one 0xC4/0xE2, an unprobed
 * METHOD_NEITHER system address 0xC4/0xE3; each only with securityChecks on.
 * A user handle referenced as KernelMode (0xC4/0xF6) is an automatic check:
 * any option turns it on.
 * https://learn.microsoft.com/windows-hardware/drivers/devtest/security-checks
 */
import { describe, expect, it } from 'vitest';
import { CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, KernelMode, METHOD_NEITHER, type IoStatusBlock } from 'ntshm/wdm';
import { GENERIC_READ, GENERIC_WRITE, MEM_COMMIT, MEM_RESERVE, OPEN_EXISTING, PAGE_READWRITE, type K32 } from 'ntshm/win32';
import { bootWith, runProgram, testDriver, type DispatchHandler } from '../helpers/test-driver.js';

const IOCTL = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_NEITHER, FILE_ANY_ACCESS);
const INNER = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x901, METHOD_NEITHER, FILE_ANY_ACCESS);

async function run(control: DispatchHandler, verifier: boolean | { [option: string]: boolean }, input: 'user' | 'handle' = 'user') {
  const driver = testDriver({ control: (ctx) => (ctx.stack.Parameters.DeviceIoControl.IoControlCode === INNER ? undefined : control(ctx)) });
  const machine = await bootWith([driver], { seed: 1, verifier });
  let user = 0;
  await runProgram(machine, async (k32: K32) => {
    const h = k32.CreateFileW(driver.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
    user = k32.VirtualAlloc(0, 0x1000, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    if (input === 'handle') k32.setUint32(user, h);
    await k32.DeviceIoControl(h, IOCTL, user, 16, user + 0x100, 16);
    return 0;
  }, { seconds: 2 });
  return { machine, user };
}

const passesUserBufferToZwReadFile: DispatchHandler = ({ nt, irp }) => {
  nt.ZwReadFile(0, null, null, null, irp.UserBuffer, 16);
};

const sendsUserBufferInKernelIrp: DispatchHandler = ({ nt, device, irp }) => {
  const iosb: IoStatusBlock = { Status: 0, Information: 0 };
  const inner = nt.IoBuildDeviceIoControlRequest(INNER, device, null, 0, irp.UserBuffer, 16, false, null, iosb)!;
  nt.IoCallDriver(device, inner);
};

describe('Security Checks', () => {
  it('a driver that passes the program\'s buffer to ZwReadFile: 0xC4/0xE3 naming the user address', async () => {
    const { machine, user } = await run(passesUserBufferToZwReadFile, { securityChecks: true });
    expect(machine.bugcheck?.code).toBe(0xc4);
    const [p1, p2, p3, p4] = machine.bugcheck!.params.map(Number);
    expect([p1, p3, p4]).toEqual([0xe3, user + 0x100, 0]);
    expect(p2).not.toBe(0);
    expect(machine.bugcheck?.explanation).toContain('ZwReadFile');
  });

  it('a driver that sends a KernelMode IRP holding the program\'s buffer: 0xC4/0xE2 (P2 the IRP, P3 the address)', async () => {
    const { machine, user } = await run(sendsUserBufferInKernelIrp, { securityChecks: true });
    expect(machine.bugcheck?.code).toBe(0xc4);
    const [p1, irp, address] = machine.bugcheck!.params.map(Number);
    expect([p1, address]).toEqual([0xe2, user + 0x100]);
    expect(irp).not.toBe(0);
  });

  it.each([false, { poolTracking: true }, { ioVerification: true }])('neither is checked with verifier %j', async (verifier) => {
    for (const control of [passesUserBufferToZwReadFile, sendsUserBufferInKernelIrp]) {
      const { machine } = await run(control, verifier);
      expect(machine.bugcheck?.code).not.toBe(0xc4);
    }
  });

  it('a user handle referenced as KernelMode is 0xC4/0xF6 under any option (an automatic check)', async () => {
    const references: DispatchHandler = ({ nt, irp, stack }) => {
      const handle = nt.getUint32(stack.Parameters.DeviceIoControl.Type3InputBuffer);
      void irp;
      nt.ObReferenceObjectByHandle(handle, 0, null, KernelMode);
    };
    const { machine } = await run(references, { poolTracking: true }, 'handle');
    expect(machine.bugcheck?.code).toBe(0xc4);
    expect(Number(machine.bugcheck!.params[0])).toBe(0xf6);
  });
});
