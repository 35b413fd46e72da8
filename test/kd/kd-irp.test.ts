/**
 * !irp and dt nt!_IRP on a request a driver holds pending, live and in a
 * dump, on both architectures.
 */
import { describe, expect, it } from 'vitest';
import { loadDump } from 'ntshm';
import { CTL_CODE, FILE_ANY_ACCESS, FILE_DEVICE_UNKNOWN, METHOD_BUFFERED, STATUS_PENDING } from 'ntshm/wdm';
import { GENERIC_READ, GENERIC_WRITE, OPEN_EXISTING } from 'ntshm/win32';
import { bootWith, testDriver } from '../helpers/test-driver.js';

const IOCTL_HOLD = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x911, METHOD_BUFFERED, FILE_ANY_ACCESS);

describe.each(['x64', 'x86'] as const)('a request held pending, on %s', (arch) => {
  it('!irp lists it; !irp ADDR shows its stack location with the IOCTL; dt nt!_IRP its fields; the dump says the same', async () => {
    const held: number[] = [];
    const driver = testDriver({
      control: ({ nt, irp }) => {
        nt.IoMarkIrpPending(irp);
        held.push(irp.address);
        return STATUS_PENDING;
      },
    });
    const m = await bootWith([driver], { arch });
    m.spawn(async (k32) => {
      const h = k32.CreateFileW(driver.path, GENERIC_READ | GENERIC_WRITE, 0, null, OPEN_EXISTING, 0, null);
      const va = k32.VirtualAlloc(0, 4096, 0x3000, 4);
      await k32.DeviceIoControl(h, IOCTL_HOLD, va, 4, va, 4);
      return 0;
    });
    await m.run({ seconds: 0.1 });
    expect(held).toHaveLength(1);
    const address = (held[0] ?? 0).toString(16);
    expect(m.kd('!irp')).toMatch(/^Irp \S+ {2}thread 0108 {2}IRP_MJ_DEVICE_CONTROL$/);
    const irp = m.kd(`!irp ${address}`);
    expect(irp).toMatch(/^Irp is active with 1 stacks 1 is current$/m);
    // IoMarkIrpPending marks the stack location (SL_PENDING_RETURNED); Irp->PendingReturned is set only as it completes.
    expect(irp).toMatch(/^ +00 01 \S+ \S+ 00000000-00000000 +pending$/m);
    expect(irp).toMatch(/^>\[IRP_MJ_DEVICE_CONTROL\(e\), N\/A\(0\)\]$/m);
    expect(irp).toMatch(new RegExp(`Args: 00000000 00000000 ${IOCTL_HOLD.toString(16).padStart(8, '0')} 00000000`));
    const dt = m.kd(`dt nt!_IRP ${address}`);
    expect(dt).toMatch(new RegExp(`^ {3}\\+0x0${arch === 'x64' ? '41' : '21'} PendingReturned  : 0x00 ''$`, 'm'));
    expect(dt).toMatch(/^ {3}\+0x000 Type {13}: 0n6$/m);
    const dump = loadDump(m.dump());
    for (const c of ['!irp', `!irp ${address}`, `dt nt!_IRP ${address}`]) expect(dump.kd(c)).toBe(m.kd(c));
  });
});
