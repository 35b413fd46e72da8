/**
 * The smaller hostile cases of issue 7 (item 12): spawning on a stopped or
 * full machine, exit codes a program forges, output after ExitProcess,
 * service names that name no key, tagged handle values, and a driver that
 * puts a foreign object in Irp->MdlAddress.
 */
import { describe, expect, it } from 'vitest';
import { boot, NtException, type Machine } from 'ntshm';
import {
  defineDriver, IoGetCurrentIrpStackLocation, KernelMode, KEY_ALL_ACCESS, OBJ_CASE_INSENSITIVE, OBJ_KERNEL_HANDLE, STATUS_INSUFFICIENT_RESOURCES,
  STATUS_COMMITMENT_LIMIT, STATUS_NO_MEMORY, STATUS_SUCCESS,
} from 'ntshm/wdm';
import { PAGE_FAULT_IN_NONPAGED_AREA, SYSTEM_SERVICE_EXCEPTION } from '../../src/include/bugcodes.js';
import { ERROR_INVALID_HANDLE, GENERIC_READ, MEM_COMMIT, MEM_RESERVE, OPEN_EXISTING, PAGE_READWRITE, type K32 } from 'ntshm/win32';
import { ProcessExit } from '../../src/include/errors.js';
import { ObjectAllocationFailed } from '../../src/kernel/ob/manager.js';
import { bootWith, testDriver, type DispatchHandler } from '../helpers/test-driver.js';
import { settles as settlesWithin } from '../helpers/settles.js';

const STILL_ACTIVE = 0x103;
const CPP_EXCEPTION = 0xe06d7363;

const settles = <T>(promise: Promise<T>, ms = 2000): Promise<T> => settlesWithin(promise, ms);

describe('spawn after a bug check', () => {
  it('returns a process that never starts: its wait() settles at once with STILL_ACTIVE, as the earlier processes\' do', async () => {
    const drv = testDriver({ control: ({ nt }) => nt.KeBugCheckEx(0xdead, 1, 2, 3, 4) });
    const machine = await bootWith([drv]);
    const first = machine.spawn(async (k32) => {
      const h = k32.CreateFileW(drv.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      await k32.DeviceIoControl(h, 0x222000, 0, 0, 0, 0);
      return 0;
    });
    expect((await settles(machine.run())).reason).toBe('bugcheck');
    expect(await settles(first.wait())).toBe(STILL_ACTIVE);
    const late = machine.spawn(async (k32) => {
      k32.print('never');
      return 0;
    });
    expect(await settles(late.wait())).toBe(STILL_ACTIVE);
    expect(late.exitCode).toBeUndefined();
    expect(await settles(machine.run())).toMatchObject({ reason: 'bugcheck' });
    expect(late.stdout).toBe('');
  });
});

describe('spawn on a full machine', () => {
  it('throws an NtException (no pool, frames or commit left), leaves nothing behind, and the others run on', async () => {
    const machine = await boot({ memoryMiB: 8 });
    const spawned = [];
    let failure: unknown;
    let before = machine.stats();
    for (let i = 0; i < 10_000 && failure === undefined; i++) {
      before = machine.stats();
      try {
        spawned.push(machine.spawn(async (k32) => {
          await k32.Sleep(100);
          return 0;
        }));
      } catch (e) {
        failure = e;
      }
    }
    expect(failure).toBeInstanceOf(NtException);
    expect([STATUS_INSUFFICIENT_RESOURCES, STATUS_NO_MEMORY, STATUS_COMMITMENT_LIMIT]).toContain((failure as NtException).status);
    expect(machine.stats()).toEqual(before);
    expect(machine.kernel.pfn.check()).toEqual([]);
    expect((await settles(machine.run(), 10_000)).reason).toBe('exited');
    // Every process that was created runs to its end (on a machine this full, some find no frame for their stack).
    expect(spawned.length).toBeGreaterThan(10);
    expect(spawned.every((p) => p.exitCode !== undefined)).toBe(true);
  });

  /** Makes one step of process creation fail as it would with no pool or frames left; returns the undo. */
  type Injection = (machine: Machine) => () => void;
  const failOnce = <T extends object, K extends keyof T>(target: T, key: K, replace: (original: T[K]) => T[K]): () => void => {
    const original = target[key];
    target[key] = replace(original);
    return () => { target[key] = original; };
  };
  const injections: { step: string; status: number; inject: Injection }[] = [
    {
      step: 'the process object (no pool)', status: STATUS_INSUFFICIENT_RESOURCES,
      inject: (m) => failOnce(m.kernel.ob, 'ObCreateObject', () => () => { throw new ObjectAllocationFailed(); }),
    },
    {
      step: 'its page directory (no frame)', status: STATUS_NO_MEMORY,
      inject: (m) => failOnce(m.kernel.pageTables, 'createProcessRoot', () => () => -1),
    },
    {
      step: 'the shared page\'s page table (no frame)', status: STATUS_NO_MEMORY,
      inject: (m) => failOnce(m.kernel.sharedUserData, 'mapInto', () => () => false),
    },
    {
      step: 'its thread object (no pool)', status: STATUS_INSUFFICIENT_RESOURCES,
      inject: (m) => {
        let calls = 0;
        return failOnce(m.kernel.ob, 'ObCreateObject', (create) => ((body: never) => {
          if (++calls === 2) throw new ObjectAllocationFailed();
          return create.call(m.kernel.ob, body);
        }) as typeof create);
      },
    },
    {
      step: 'its PEB and TEB pages (no frame behind the commit)', status: STATUS_NO_MEMORY,
      inject: (m) => failOnce(m.kernel.vm, 'resolveDemandZero', () => () => false),
    },
  ];

  it.each(injections)('fails at $step: the status is raised and nothing of the process is left', async ({ status, inject }) => {
    const machine = await boot();
    const baseline = machine.stats();
    const frames = machine.kernel.pfn.freeCount;
    const undo = inject(machine);
    let thrown: unknown;
    try {
      machine.spawn(async () => 0);
    } catch (e) {
      thrown = e;
    } finally {
      undo();
    }
    expect(thrown).toBeInstanceOf(NtException);
    expect((thrown as NtException).status).toBe(status);
    expect(machine.stats()).toEqual(baseline);
    expect(machine.kernel.pfn.freeCount).toBe(frames);
    expect(machine.kernel.pfn.check()).toEqual([]);
    // The machine is whole: the next program runs.
    const next = machine.spawn(async () => 5);
    expect((await settles(machine.run())).reason).toBe('exited');
    expect(next.exitCode).toBe(5);
  });
});

describe('exit codes are ExitProcess\'s UINT', () => {
  const cases: { what: string; main: (k32: K32) => Promise<number>; exitCode: number }[] = [
    {
      what: 'a ProcessExit (by class) carrying a string exit code: coerced as a UINT',
      main: async () => { throw new ProcessExit('7' as unknown as number); },
      exitCode: 7,
    },
    {
      what: 'a ProcessExit carrying a bigint: its low 32 bits',
      main: async () => { throw new ProcessExit((2n ** 40n + 9n) as unknown as number); },
      exitCode: 9,
    },
    {
      what: 'a ProcessExit carrying an object: 0, never the object',
      main: async () => { throw new ProcessExit({ valueOf: () => 3 } as unknown as number); },
      exitCode: 0,
    },
    {
      what: 'an Error merely named ProcessExit, with an exitCode: an unhandled exception, not an exit',
      main: async () => { throw Object.assign(new Error('forged'), { name: 'ProcessExit', exitCode: 'abc' }); },
      exitCode: CPP_EXCEPTION,
    },
    {
      what: 'ExitProcess with a negative number: wrapped',
      main: async (k32) => k32.ExitProcess(-1),
      exitCode: 0xffffffff,
    },
  ];

  it.each(cases)('$what', async ({ main, exitCode }) => {
    const machine = await boot();
    const program = machine.spawn(main);
    await settles(machine.run());
    expect(program.exitCode).toBe(exitCode);
    expect(typeof program.exitCode).toBe('number');
    expect(await program.wait()).toBe(exitCode);
    expect(machine.report().processes[0]!.exitCode).toBe(exitCode);
  });
});

describe('after ExitProcess nothing the program does is seen', () => {
  it('k32.print after a caught ExitProcess writes nothing, and the exit code stays', async () => {
    const machine = await boot();
    const program = machine.spawn(async (k32) => {
      k32.print('before');
      try {
        k32.ExitProcess(3);
      } catch {
        // A program that catches ExitProcess's unwinding goes on: nothing it does may show.
      }
      k32.print('after');
      return 0;
    });
    await settles(machine.run());
    expect(program.exitCode).toBe(3);
    expect(program.stdout).toBe('before\n');
    expect(machine.log.map((e) => e.text)).toEqual(['before']);
  });

  it('nor an exception it throws after ExitProcess', async () => {
    const machine = await boot();
    const program = machine.spawn(async (k32) => {
      try {
        k32.ExitProcess(4);
      } catch {
        // swallowed
      }
      throw new Error('after the end');
    });
    await settles(machine.run());
    expect(program.exitCode).toBe(4);
    expect(program.stdout).toBe('');
    expect(machine.log).toEqual([]);
  });
});

describe('loadDriver with a service name that could not name a key', () => {
  const driver = defineDriver({ name: 'Nameless', DriverEntry: () => STATUS_SUCCESS });

  it.each([
    { what: 'empty', name: '' },
    { what: 'with a backslash', name: 'a\\b' },
    { what: 'longer than a key name may be', name: 'x'.repeat(256) },
    { what: 'not a string', name: 7 as unknown as string },
  ])('$what: a RangeError, and nothing is installed, written or loaded', async ({ name }) => {
    const machine = await boot();
    const services = machine.kernel.registry.parse(null, '\\Registry\\Machine\\System\\CurrentControlSet\\Services');
    const before = 'key' in services ? services.key?.subkeys?.size : undefined;
    expect(() => machine.loadDriver(name, driver)).toThrow(RangeError);
    expect(() => machine.installDriver(name, driver)).toThrow(RangeError);
    expect(() => machine.unloadDriver(name)).toThrow(RangeError);
    expect(machine.kernel.io.drivers.size).toBe(0);
    expect('key' in services ? services.key?.subkeys?.size : undefined).toBe(before);
  });

  it('a name with a space is a key name like any other: the driver loads', async () => {
    const machine = await boot();
    expect(machine.loadDriver('My Driver', driver)).toBe(STATUS_SUCCESS);
  });
});

describe('handle values with the low two (tag) bits set name the same handle', () => {
  it('DeviceIoControl and CloseHandle on h|1, h|2, h|3 reach handle h; a second close fails', async () => {
    let controls = 0;
    const drv = testDriver({ control: () => { controls++; } });
    const machine = await bootWith([drv]);
    const seen: unknown[] = [];
    machine.spawn(async (k32) => {
      const h = k32.CreateFileW(drv.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      for (const tag of [1, 2, 3]) seen.push((await k32.DeviceIoControl(h | tag, 0x222000, 0, 0, 0, 0)).ok);
      seen.push(k32.CloseHandle(h | 3));
      seen.push(k32.CloseHandle(h), k32.GetLastError() === ERROR_INVALID_HANDLE);
      return 0;
    });
    await settles(machine.run());
    expect(seen).toEqual([true, true, true, true, false, true]);
    expect(controls).toBe(3);
    expect(machine.stats().handles).toBe(0);
  });

  it('a driver\'s tagged kernel handle references and closes the handle (no bug check 0x93)', async () => {
    const closes: number[] = [];
    const drv = testDriver({
      control: ({ nt }) => {
        const attributes = nt.InitializeObjectAttributes('\\Registry\\Machine\\Software\\Tagged', OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE);
        const { status, keyHandle } = nt.ZwCreateKey(KEY_ALL_ACCESS, attributes, 0, null, 0);
        if (status !== STATUS_SUCCESS) return;
        const { status: referenced, object } = nt.ObReferenceObjectByHandle(keyHandle + 1, 0, null, KernelMode);
        if (object) nt.ObDereferenceObject(object);
        closes.push(referenced);
        closes.push(nt.ZwClose(keyHandle + 2));
        // Closed: the plain value names no handle now.
        closes.push(nt.ObReferenceObjectByHandle(keyHandle, 0, null, KernelMode).status);
      },
    });
    const machine = await bootWith([drv]);
    machine.spawn(async (k32) => {
      const h = k32.CreateFileW(drv.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      await k32.DeviceIoControl(h, 0x222000, 0, 0, 0, 0);
      return 0;
    });
    const result = await settles(machine.run());
    expect(result.bugcheck).toBeUndefined();
    expect(closes).toEqual([STATUS_SUCCESS, STATUS_SUCCESS, 0xc0000008]); // the last: STATUS_INVALID_HANDLE
  });
});

describe('a driver that puts a foreign object in Irp->MdlAddress', () => {
  /** METHOD_OUT_DIRECT: the I/O manager locks the output buffer in an MDL. */
  const IOCTL_OUT_DIRECT = (0x22 << 16) | (0x800 << 2) | 2;

  async function run(control: DispatchHandler) {
    const drv = testDriver({ control });
    const machine = await bootWith([drv]);
    const program = machine.spawn(async (k32) => {
      const h = k32.CreateFileW(drv.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
      const buffer = k32.VirtualAlloc(0, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
      await k32.DeviceIoControl(h, IOCTL_OUT_DIRECT, 0, 0, buffer, 64);
      k32.print('the program went on');
      return 0;
    });
    const result = await settles(machine.run());
    return { machine, program, result };
  }

  it('before completing: the completion faults in the driver\'s frame, 0x3B naming its dispatch routine; the program sees nothing', async () => {
    const { program, result } = await run(({ irp }) => {
      (irp as { MdlAddress: unknown }).MdlAddress = { hostile: true };
    });
    expect(result.bugcheck?.code).toBe(SYSTEM_SERVICE_EXCEPTION);
    expect(result.bugcheck?.params[0]).toBe(0xc0000005);
    expect(result.bugcheck?.stack).toEqual(['TestDrv!DispatchControl']);
    expect(program.stdout).toBe('');
  });

  it('a wild system address there: 0x50 in the driver\'s frame', async () => {
    const { result } = await run(({ nt, irp }) => {
      (irp as { MdlAddress: unknown }).MdlAddress = nt.sizeofPointer === 8 ? 0xffff_f900_dead_0000 : 0xdead_0000;
    });
    expect(result.bugcheck?.code).toBe(PAGE_FAULT_IN_NONPAGED_AREA);
    expect(result.bugcheck?.stack).toEqual(['TestDrv!DispatchControl']);
  });

  it('after completing: the I/O manager\'s free of the MDLs faults, 0x3B naming the driver; the program sees nothing', async () => {
    const { program, result } = await run(({ nt, irp }) => {
      nt.IoCompleteRequest(irp, 0);
      (irp as { MdlAddress: unknown }).MdlAddress = { hostile: true };
    });
    expect(result.bugcheck?.code).toBe(SYSTEM_SERVICE_EXCEPTION);
    expect(result.bugcheck?.params[0]).toBe(0xc0000005);
    expect(result.bugcheck?.explanation).toMatch(/stored by TestDrv!DispatchControl after it completed the IRP/);
    expect(program.stdout).toBe('');
  });

  it('an MDL chain that loops back on itself ends (no hang)', async () => {
    const { result } = await run(({ irp }) => {
      const mdl = irp.MdlAddress;
      if (mdl) mdl.Next = mdl;
    });
    expect(result.reason).toBe('bugcheck');
  });

  it('a well-formed MDL chain completes as before', async () => {
    let seen = 0;
    const { program, result } = await run(({ irp, stack }) => {
      seen = IoGetCurrentIrpStackLocation(irp) === stack && irp.MdlAddress ? 1 : 0;
    });
    expect(result.bugcheck).toBeUndefined();
    expect(seen).toBe(1);
    expect(program.stdout).toBe('the program went on\n');
  });
});
