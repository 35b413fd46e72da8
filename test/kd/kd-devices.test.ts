/**
 * !drvobj, !devobj and !devstack: sharing-memory's driver and its device,
 * and a filter attached over a test driver's device; live, and the same
 * from the machine's dump.
 */
import { describe, expect, it } from 'vitest';
import { boot, loadDump, type Machine } from 'ntshm';
import { FILE_DEVICE_UNKNOWN, FILE_READ_DATA, defineDriver, type DeviceObject, type Irp, type Nt } from 'ntshm/wdm';
import { sharingMemory } from '../../samples/registry.js';
import { bootWith, testDriver } from '../helpers/test-driver.js';

async function sharingMemoryRunning(arch: 'x64' | 'x86'): Promise<Machine> {
  const m = await boot({ arch });
  await sharingMemory.setup(m, { seconds: 5, variant: undefined });
  await m.run({ seconds: 2 });
  return m;
}

/** A filter (no name, like most filters) attached over `\Device\TestDrv`, passing everything down. */
const filter = defineDriver({
  name: 'Filter',
  DriverEntry(nt: Nt, driverObject) {
    const { deviceObject } = nt.IoCreateDevice(driverObject, 0x20, null, FILE_DEVICE_UNKNOWN, 0, false);
    const target = nt.IoGetDeviceObjectPointer('\\Device\\TestDrv', FILE_READ_DATA);
    const lower = nt.IoAttachDeviceToDeviceStack(deviceObject!, target.deviceObject!);
    nt.ObDereferenceObject(target.fileObject!);
    driverObject.MajorFunction.fill(function FilterPass(_d: DeviceObject, irp: Irp): number {
      nt.IoSkipCurrentIrpStackLocation(irp);
      return nt.IoCallDriver(lower!, irp);
    });
    return 0;
  },
});

const hexOf = (n: number) => n.toString(16);

describe.each(['x64', 'x86'] as const)('device and driver objects on %s', (arch) => {
  const w = arch === 'x64' ? 16 : 8;
  const u = (n: number) => (arch === 'x64' && n >= 2 ** 47 ? (BigInt(n) | 0xffff_0000_0000_0000n) : BigInt(n)).toString(16).padStart(w, '0');

  it('!drvobj lists sharing-memory\'s device; with flags 2 its dispatch routines by IRP_MJ_ name, the empty slots nt!IopInvalidDeviceRequest', async () => {
    const m = await sharingMemoryRunning(arch);
    const driver = m.kernel.io.drivers.get('SHARINGMEMORY')!;
    const device = driver.DeviceObject!;
    const plain = m.kd('!drvobj SharingMemory').split('\n');
    expect(plain.slice(0, 2)).toEqual([`Driver object (${u(driver.address)}) is for:`, ' \\Driver\\SharingMemory']);
    expect(plain.slice(-2)).toEqual(['Device Object list:', u(device.address)]);
    expect(m.kd(`!drvobj ${hexOf(driver.address)}`)).toBe(m.kd('!drvobj \\Driver\\SharingMemory'));
    const table = m.kd('!drvobj SharingMemory 2');
    expect(table).toMatch(/^Dispatch routines:$/m);
    expect(table).toMatch(new RegExp(`^\\[0e\\] IRP_MJ_DEVICE_CONTROL {14}${u(driver.DriverStart + 0x1100)}\tSharingMemory!DispatchControl$`, 'm'));
    expect(table).toMatch(/^\[00\] IRP_MJ_CREATE {22}[0-9a-f]+\tSharingMemory!DispatchCreateClose$/m);
    expect(table).toMatch(/^\[1b\] IRP_MJ_PNP {25}[0-9a-f]+\tnt!IopInvalidDeviceRequest$/m);
    expect(table.split('\n').filter((l) => /^\[[0-9a-f]{2}\] IRP_MJ_/.test(l))).toHaveLength(28);
    expect(table).toMatch(new RegExp(`^DriverEntry: {3}${u(driver.DriverStart + 0x1000)}\tSharingMemory!DriverEntry$`, 'm'));
    // DriverUnload has not run, yet it is in the image: after DispatchCreateClose, DispatchControl and DispatchCleanup.
    expect(table).toMatch(new RegExp(`^DriverUnload: {2}${u(driver.DriverStart + 0x1200)}\tSharingMemory!DriverUnload$`, 'm'));
    // Flags 7: the device in detail too.
    expect(m.kd('!drvobj SharingMemory 7')).toContain(m.kd(`!devobj ${hexOf(device.address)}`));
    expect(m.kd('!drvobj NoSuchDriver')).toMatch(/^Driver object NoSuchDriver is not a valid driver object address or name/);
  });

  it('!devobj shows the device the program has open: RefCount 1, FILE_DEVICE_UNKNOWN, its driver; by name or address', async () => {
    const m = await sharingMemoryRunning(arch);
    const driver = m.kernel.io.drivers.get('SHARINGMEMORY')!;
    const device = driver.DeviceObject!;
    const lines = m.kd('!devobj \\Device\\SharingMemory').split('\n');
    expect(lines[0]).toBe(`Device object (${u(device.address)}) is for:`);
    expect(lines[1]).toBe(` SharingMemory \\Driver\\SharingMemory DriverObject ${u(driver.address)}`);
    expect(lines[2]).toBe(`Current Irp 00000000 RefCount 1 Type 00000022 Flags ${device.Flags.toString(16).padStart(8, '0')}`);
    expect(lines.at(-1)).toBe('Device queue is not busy.');
    expect(m.kd(`!devobj ${hexOf(device.address)}`)).toBe(m.kd('!devobj SharingMemory'));
  });

  it('!devstack shows the filter over TestDrv\'s device, top first, `>` on the one asked for; !devobj names the devices above and below', async () => {
    const lower = testDriver();
    const m = await bootWith([lower], { arch });
    m.loadDriver('Filter', filter);
    expect(m.bugcheck).toBeUndefined();
    const bottom = m.kernel.io.drivers.get('TESTDRV')!.DeviceObject!;
    const top = m.kernel.io.drivers.get('FILTER')!.DeviceObject!;
    expect(m.kd('!devstack TestDrv').split('\n')).toEqual([
      ` ${'!DevObj'.padEnd(w)}   !DrvObj            ${'!DevExt'.padEnd(w)}  ObjectName`,
      `  ${u(top.address)}  \\Driver\\Filter     ${u(top.DeviceExtension)}`,
      `> ${u(bottom.address)}  \\Driver\\TestDrv    ${u(0)}  TestDrv`,
    ]);
    expect(m.kd(`!devstack ${hexOf(top.address)}`).split('\n')[1]).toMatch(/^> /);
    expect(m.kd('!devobj TestDrv')).toMatch(new RegExp(`^AttachedDevice \\(Upper\\) ${u(top.address)} \\\\Driver\\\\Filter$`, 'm'));
    expect(m.kd(`!devobj ${hexOf(top.address)}`)).toMatch(new RegExp(`^AttachedTo \\(Lower\\) ${u(bottom.address)} \\\\Driver\\\\TestDrv$`, 'm'));
    const dump = loadDump(m.dump());
    for (const c of ['!devstack TestDrv', '!devobj TestDrv', `!devobj ${hexOf(top.address)}`, '!drvobj Filter 7']) expect(dump.kd(c), c).toBe(m.kd(c));
  });

  it('a dump says the same as the live machine', async () => {
    const m = await sharingMemoryRunning(arch);
    const dump = loadDump(m.dump());
    for (const c of ['!drvobj SharingMemory 7', '!devobj SharingMemory', '!devstack SharingMemory']) expect(dump.kd(c), c).toBe(m.kd(c));
  });
});
