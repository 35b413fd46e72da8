/**
 * The IRP lookaside list reuses an IRP's memory request after request, as
 * Windows' does (issue 7, item 11: the IOCTL round trip allocates no JS
 * object for its IRP's parts). What each request sees is still a freshly
 * initialized IRP, a driver cannot leave anything behind in the reused parts
 * for the next request, and a driver that completes an IRP it kept is still
 * caught.
 */
import { describe, expect, it } from 'vitest';
import { GENERIC_READ, OPEN_EXISTING, type K32 } from 'ntshm/win32';
import type { Irp, IoStatusBlock } from 'ntshm/wdm';
import { MULTIPLE_IRP_COMPLETE_REQUESTS, SYSTEM_SERVICE_EXCEPTION } from '../../src/include/bugcodes.js';
import { STATUS_ACCESS_VIOLATION } from '../../src/include/ntstatus.js';
import { frameFor } from '../../src/kernel/io/driver-load.js';
import { DriverObject } from '../../src/kernel/io/objects.js';
import { bootWith, call, runProgram, testDriver, type DispatchHandler } from '../helpers/test-driver.js';

const ARCHES = ['x64', 'x86'] as const;

/** Sends `count` IOCTLs (function 0x800, one pointer in and out) from one program. */
async function requests(arch: 'x64' | 'x86', count: number, control: DispatchHandler) {
  const driver = testDriver({ control });
  const machine = await bootWith([driver], { arch });
  const answers: number[][] = [];
  const { result } = await runProgram(machine, async (k32: K32) => {
    const h = k32.CreateFileW(driver.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
    for (let i = 0; i < count; i++) answers.push(await call(k32, h, 0x800, 0x1234 + i));
    k32.CloseHandle(h);
    return 0;
  });
  return { machine, result, answers };
}

describe.each(ARCHES)('the IRP lookaside list on %s', (arch) => {
  it('a request gets the memory the last one freed, every field of it set again, in an IRP object of its own', async () => {
    const seen: { irp: Irp; address: number; ioStatus: IoStatusBlock; flags: number; userBuffer: number; mdl: unknown;
      createIsOwn: boolean; options: number; code: number; type3: number }[] = [];
    const foreignCreate = { Options: 0x55, ShareAccess: 0x66, DesiredAccess: 0x77 };
    const { result, answers } = await requests(arch, 2, ({ irp, stack }) => {
      const p = stack.Parameters;
      seen.push({
        irp, address: irp.address, ioStatus: irp.IoStatus, flags: irp.Flags, userBuffer: irp.UserBuffer, mdl: irp.MdlAddress,
        createIsOwn: p.Create !== foreignCreate, options: p.Create.Options, code: p.DeviceIoControl.IoControlCode, type3: p.DeviceIoControl.Type3InputBuffer,
      });
      // What a careless driver leaves in the IRP: none of it may reach the next request.
      p.Create = foreignCreate;
      p.DeviceIoControl.Type3InputBuffer = 0xbad0;
      irp.Flags |= 0x8000_0000;
      irp.UserBuffer = 0xbad0;
      irp.IoStatus.Information = 0;
    });
    expect(result.bugcheck).toBeUndefined();
    expect(answers).toEqual([[], []]);
    const [first, second] = seen;
    expect(second!.address).toBe(first!.address);
    expect(second!.ioStatus).toBe(first!.ioStatus);
    expect(second!.irp).not.toBe(first!.irp);
    expect(second).toMatchObject({
      flags: first!.flags, userBuffer: first!.userBuffer, mdl: null, createIsOwn: true, options: 0, code: first!.code, type3: 0,
    });
  });

  it('a driver that completes an IRP it kept from the previous request: 0x44 naming that IRP', async () => {
    let kept: Irp | undefined;
    let keptAddress = 0;
    const { result } = await requests(arch, 2, ({ nt, irp }) => {
      if (!kept) {
        kept = irp;
        keptAddress = irp.address;
        return;
      }
      nt.IoCompleteRequest(kept, 0);
    });
    expect(keptAddress).not.toBe(0);
    expect(result.bugcheck).toMatchObject({ code: MULTIPLE_IRP_COMPLETE_REQUESTS, params: [keptAddress, 0, 0, 0] });
    expect(result.bugcheck?.stack[0]).toBe('TestDrv!DispatchControl');
  });

  it('the parts of an IRP are sealed like the structure they stand for: adding a field faults in the driver (0x3B)', async () => {
    const { result } = await requests(arch, 1, ({ stack }) => {
      (stack.Parameters.DeviceIoControl as unknown as Record<string, number>).Extra = 1;
    });
    expect(result.bugcheck).toMatchObject({ code: SYSTEM_SERVICE_EXCEPTION });
    expect(result.bugcheck?.params[0]).toBe(STATUS_ACCESS_VIOLATION);
    expect(result.bugcheck?.stack[0]).toBe('TestDrv!DispatchControl');
  });

  it('a driver that froze the IoStatus block of a freed IRP leaves the next request new parts', async () => {
    const blocks: IoStatusBlock[] = [];
    const { result, answers } = await requests(arch, 3, ({ nt, irp }) => {
      blocks.push(irp.IoStatus);
      if (blocks.length === 1) {
        nt.IoCompleteRequest(irp, 0);
        Object.freeze(irp.IoStatus);
        return 0;
      }
      irp.IoStatus.Information = 0;
    });
    expect(result.bugcheck).toBeUndefined();
    expect(answers).toEqual([[], [], []]);
    expect(blocks[1]).not.toBe(blocks[0]);
    expect(Object.isFrozen(blocks[1])).toBe(false);
    expect(blocks[2]).toBe(blocks[1]);
  });
});

describe('driver frames', () => {
  it('one unnamed routine called through several slots keeps one frame per slot (none made per call)', () => {
    const driver = new DriverObject('Frames', () => 0);
    const routine = ((f: Function) => f)(() => 0);
    const create = frameFor(driver, routine, 'IRP_MJ_CREATE');
    const close = frameFor(driver, routine, 'IRP_MJ_CLOSE');
    expect(frameFor(driver, routine, 'IRP_MJ_CREATE')).toBe(create);
    expect(frameFor(driver, routine, 'IRP_MJ_CLOSE')).toBe(close);
    expect([create.routine, close.routine]).toEqual(['IRP_MJ_CREATE', 'IRP_MJ_CLOSE']);
    expect(create.address).toBe(close.address);
  });
});
