/**
 * Issue 7, item 7 of the hostile-guest review ("pool integrity is never
 * checked"): double frees, frees of addresses the pool never handed out and
 * headers a driver wrote over all stop the machine with BAD_POOL_CALLER
 * (0xC2) or BAD_POOL_HEADER (0x19) and the parameters the bug-check pages
 * give — whether the bad free is the driver's own or the I/O manager's
 * after the driver. Each used to pass silently.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xc2--bad-pool-caller
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0x19--bad-pool-header
 */
import { describe, expect, it } from 'vitest';
import { NonPagedPool, PAGE_SIZE, type Nt } from 'ntshm/wdm';
import { GENERIC_READ, OPEN_EXISTING, type K32 } from 'ntshm/win32';
import { bootWith, call, runProgram, testDriver, type TestDriverOptions } from '../helpers/test-driver.js';

const BAD_POOL_HEADER = 0x19;
const BAD_POOL_CALLER = 0xc2;
const ARCHES = [{ arch: 'x64', header: 16 }, { arch: 'x86', header: 8 }] as const;

/** Boots with a test driver, runs one program that sends one METHOD_BUFFERED IOCTL with 16 bytes each way. */
async function oneIoctl(arch: 'x64' | 'x86', options: TestDriverOptions) {
  const driver = testDriver(options);
  const machine = await bootWith([driver], { arch, memoryMiB: 16 });
  const before = machine.stats();
  const { result } = await runProgram(machine, async (k32: K32) => {
    const h = k32.CreateFileW(driver.path, GENERIC_READ, 0, null, OPEN_EXISTING, 0, null);
    await call(k32, h, 0x800, 1, 2);
    k32.CloseHandle(h);
    return 0;
  });
  return { machine, result, before };
}

/** Two blocks of 48 bytes, B right after A in the same pool page (retrying past holes that would split them). */
function adjacentPair(nt: Nt, header: number): { a: number; b: number } {
  for (let i = 0; i < 64; i++) {
    const a = nt.ExAllocatePoolWithTag(NonPagedPool, 48, 'OvrA');
    const b = nt.ExAllocatePoolWithTag(NonPagedPool, 48, 'OvrB');
    if (b === a + 48 + header && Math.floor(a / PAGE_SIZE) === Math.floor(b / PAGE_SIZE)) return { a, b };
  }
  throw new Error('no two adjacent blocks');
}

describe.each(ARCHES)('pool integrity on $arch', ({ arch, header }) => {
  it('a driver frees the SystemBuffer, then the I/O manager frees it again: 0xC2 / 7 naming the buffer', async () => {
    let systemBuffer = 0;
    const { result } = await oneIoctl(arch, {
      control: ({ nt, irp }) => {
        systemBuffer = irp.AssociatedIrp.SystemBuffer;
        nt.ExFreePool(systemBuffer);
      },
    });
    expect(systemBuffer).not.toBe(0);
    expect(result.bugcheck?.code).toBe(BAD_POOL_CALLER);
    expect(result.bugcheck?.params[0]).toBe(0x07);
    expect(result.bugcheck?.params[1]).toBe(0);
    expect(result.bugcheck?.params[3]).toBe(systemBuffer);
  });

  it('a driver frees the IRP\'s own memory: the IRP lookaside does not hand it out again, 0xC2 / 7 at IoFreeIrp', async () => {
    let irpAddress = 0;
    const { result, machine, before } = await oneIoctl(arch, {
      control: ({ nt, irp }) => {
        irpAddress = irp.address;
        nt.ExFreePool(irp.address);
      },
    });
    expect(irpAddress).not.toBe(0);
    expect(result.bugcheck?.code).toBe(BAD_POOL_CALLER);
    expect(result.bugcheck?.params[0]).toBe(0x07);
    expect(result.bugcheck?.params[3]).toBe(irpAddress);
    // Nothing went on to use the freed block as an IRP: pool did not end below where it started.
    expect(machine.stats().pool.nonPagedBytes).toBeGreaterThanOrEqual(before.pool.nonPagedBytes - 2 * PAGE_SIZE);
  });

  describe('a driver writes past the end of its block into the next POOL_HEADER', () => {
    it('freeing the overrun block: 0x19 / 0x20 with the entry and the next entry', async () => {
      let pair = { a: 0, b: 0 };
      const { result } = await oneIoctl(arch, {
        control: ({ nt }) => {
          pair = adjacentPair(nt, header);
          nt.setUint32(pair.a + 48, 0x12345678); // one ULONG too many
          nt.ExFreePool(pair.a);
        },
      });
      expect(result.bugcheck?.code).toBe(BAD_POOL_HEADER);
      expect(result.bugcheck?.params).toEqual([0x20, pair.a - header, pair.b - header, 0]);
      expect(result.bugcheck?.stack[0]).toBe('TestDrv!DispatchControl');
    });

    it('freeing the block whose header was written over: 0x19 naming that header', async () => {
      let pair = { a: 0, b: 0 };
      const { result } = await oneIoctl(arch, {
        control: ({ nt }) => {
          pair = adjacentPair(nt, header);
          nt.setUint32(pair.a + 48, 0x12345678);
          nt.ExFreePool(pair.b);
        },
      });
      expect(result.bugcheck?.code).toBe(BAD_POOL_HEADER);
      // Its PreviousSize (0x78 units) no longer names the block before it: 5 (contradicts it) or 6 (before the page).
      expect([0x05, 0x06]).toContain(result.bugcheck?.params[0]);
      expect(result.bugcheck?.params[3]).toBe(pair.b - header);
    });

    it('into a free block, then pool hands that block out: 0x19 / 0x0D (a freed block\'s header was modified)', async () => {
      let freed = 0;
      const { result } = await oneIoctl(arch, {
        control: ({ nt }) => {
          const { a, b } = adjacentPair(nt, header);
          nt.ExAllocatePoolWithTag(NonPagedPool, 48, 'Keep'); // B stays a free block of its own when freed
          nt.ExFreePool(b);
          freed = b;
          nt.setUint32(a + 48, 0x12345678);
          // First fit reaches B's free block within a page's worth of 48-byte requests.
          for (let i = 0; i < PAGE_SIZE / 48; i++) nt.ExAllocatePoolWithTag(NonPagedPool, 48, 'Next');
        },
      });
      expect(result.bugcheck?.code).toBe(BAD_POOL_HEADER);
      expect(result.bugcheck?.params[0]).toBe(0x0d);
      expect(result.bugcheck?.params[1]).toBe(freed - header);
    });
  });

  it('a block freed twice by the driver itself: 0xC2 / 7 with the freed header in P3', async () => {
    let p = 0;
    let word = -1;
    const { result } = await oneIoctl(arch, {
      control: ({ nt }) => {
        p = nt.ExAllocatePoolWithTag(NonPagedPool, 100, 'Twce');
        nt.ExAllocatePoolWithTag(NonPagedPool, 100, 'Keep');
        nt.ExFreePool(p);
        word = nt.getUint32(p - header);
        nt.ExFreePool(p);
      },
    });
    expect(result.bugcheck?.params).toEqual([0x07, 0, word, p]);
    // The freed header says "free": PoolType 0.
    expect(arch === 'x64' ? word >>> 24 : word >>> 25).toBe(0);
  });

  it('an address inside a block whose bytes look like an allocated header: 0x19 (its neighbours disagree)', async () => {
    let forged = 0;
    const { result } = await oneIoctl(arch, {
      control: ({ nt }) => {
        const p = nt.ExAllocatePoolWithTag(NonPagedPool, 256, 'Frge');
        nt.RtlZeroMemory(p, 256);
        // A header claiming PreviousSize 2, BlockSize 2, NonPagedPool (PoolType 1): the "previous block" is zeros.
        nt.setUint32(p + 4 * header, arch === 'x64' ? 0x0102_0002 : (1 << 25) | (2 << 16) | 2);
        forged = p + 5 * header;
        nt.ExFreePool(forged);
      },
    });
    expect(result.bugcheck?.code).toBe(BAD_POOL_HEADER);
    expect(result.bugcheck?.params).toEqual([0x05, forged - 3 * header, 0, forged - header]);
  });

  it('a nonpaged big block freed twice: 0xC2 / 0x41 with the address and the highest frame', async () => {
    let p = 0;
    const { result, machine } = await oneIoctl(arch, {
      control: ({ nt }) => {
        p = nt.ExAllocatePoolWithTag(NonPagedPool, 2 * PAGE_SIZE, 'BigT');
        nt.ExFreePool(p);
        nt.ExFreePool(p);
      },
    });
    expect(result.bugcheck?.params).toEqual([0x41, p, 0, machine.stats().frames.total - 1]);
  });

  it('correct frees in any order leave every header consistent and pool at its baseline', async () => {
    const { result, machine, before } = await oneIoctl(arch, {
      control: ({ nt }) => {
        const blocks: number[] = [];
        let seed = 7;
        const rnd = (m: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % m;
        for (let i = 0; i < 400; i++) {
          if (blocks.length > 0 && rnd(3) === 0) nt.ExFreePoolWithTag(blocks.splice(rnd(blocks.length), 1)[0]!, 'Mix ');
          else blocks.push(nt.ExAllocatePoolWithTag(i % 2 ? NonPagedPool : 1, 1 + rnd(900), 'Mix '));
        }
        for (const b of blocks.reverse()) nt.ExFreePoolWithTag(b, 'Mix ');
      },
    });
    expect(result.bugcheck).toBeUndefined();
    expect(machine.stats().pool).toEqual(before.pool);
  });
});
