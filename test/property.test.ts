/**
 * Property test: random sequences of pool allocations and frees, virtual
 * allocations and frees in several processes, MDL mappings of nonpaged pool
 * into those processes and their unmapping, and process exits. Everything
 * goes through the public API: a test driver (defineDriver) whose dispatch
 * routine runs each kernel-side step in the requesting process's context,
 * and test programs (defineProgram) that take their steps from a mailbox.
 *
 * Also: user buffers probed and locked (MmProbeAndLockPages) and unlocked,
 * partial MDLs (IoBuildPartialMdl, a mapping of their own, MmPrepareMdlForReuse),
 * and a user mapping read, unmapped and read again within one turn of the
 * program, so its TLB is still warm when the PTE goes (no CR3 reload between).
 * Consecutive steps of one program run back to back in one of its turns, with
 * the invariants checked in that turn: TLB entries a step leaves stay warm
 * for the next, so a missing invalidation shows (a read that should fault).
 *
 * After every step the PFN database is consistent, every frame's share
 * count matches the reverse map and the page tables (reverse map → PTE, and
 * PTE → reverse map over every VAD, the system PTEs and live pool), pool accounting
 * matches the live allocations, and each live process holds exactly its one
 * device handle. At the end, once every process has exited and the driver
 * has unloaded, free frames, pool bytes, handles and processes are back to
 * their values right after boot.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boot, type Machine, type Process } from 'ntshm';
import {
  KernelMode, MdlMappingNoWrite, MmCached, NonPagedPool, NonPagedPoolNx, NormalPagePriority, NtException, PAGE_SIZE, PagedPool, UserMode,
  type Mdl, type Nt,
} from 'ntshm/wdm';
import { MEM_COMMIT, MEM_DECOMMIT, MEM_RELEASE, MEM_RESERVE, PAGE_READWRITE, defineProgram, type K32 } from 'ntshm/win32';
import { commandDriver, mappingProblems, type CommandDriver } from './mm/harness.js';

const SLOTS = 3;
const STATUS_ACCESS_VIOLATION = 0xc0000005;

type Op =
  | { kind: 'poolAlloc'; slot: number; poolType: number; size: number }
  | { kind: 'poolFree'; slot: number; pick: number }
  | { kind: 'valloc'; slot: number; pages: number; commit: boolean; touch: number }
  | { kind: 'vfree'; slot: number; pick: number }
  | { kind: 'vdecommit'; slot: number; pick: number; page: number }
  | { kind: 'mdlMap'; slot: number; pick: number; readOnly: boolean }
  | { kind: 'mdlUnmap'; slot: number; pick: number }
  | { kind: 'mapTouchUnmap'; slot: number; pick: number }
  | { kind: 'lockUser'; slot: number; pick: number; write: boolean }
  | { kind: 'unlockUser'; slot: number; pick: number }
  | { kind: 'partial'; slot: number; pick: number; offset: number; length: number }
  | { kind: 'exit'; slot: number; viaExitProcess: boolean };

const slot = fc.integer({ min: 0, max: SLOTS - 1 });
const pick = fc.nat({ max: 1000 });
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({
    kind: fc.constant('poolAlloc' as const), slot,
    poolType: fc.constantFrom(NonPagedPool, NonPagedPoolNx, PagedPool),
    size: fc.oneof(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 3 * PAGE_SIZE + 100 })),
  }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('poolFree' as const), slot, pick }) },
  { weight: 3, arbitrary: fc.record({
    kind: fc.constant('valloc' as const), slot, pages: fc.integer({ min: 1, max: 16 }), commit: fc.boolean(), touch: fc.nat({ max: 16 }),
  }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('vfree' as const), slot, pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('vdecommit' as const), slot, pick, page: fc.nat({ max: 15 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('mdlMap' as const), slot, pick, readOnly: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('mdlUnmap' as const), slot, pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('exit' as const), slot, viaExitProcess: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('mapTouchUnmap' as const), slot, pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('lockUser' as const), slot, pick, write: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('unlockUser' as const), slot, pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('partial' as const), slot, pick, offset: fc.nat({ max: 5000 }), length: fc.nat({ max: 5000 }) }) },
);

interface Block { va: number; size: number; poolType: number; fill: number }
interface UserMapping { pid: number; userVa: number; mdl: Mdl; block: Block }
interface Region { base: number; size: number; committed: boolean; locks: number }
interface UserLock { pid: number; mdl: Mdl; region: Region }
interface Command { op: Op; done: boolean; error?: unknown }
interface Live { process: Process; mailbox: Command[]; regions: Region[] }

/** One run of the property: a fresh machine, the driver, the steps, the teardown. */
class World {
  readonly blocks: Block[] = [];
  readonly mappings: UserMapping[] = [];
  readonly locks: UserLock[] = [];
  readonly live: (Live | undefined)[] = Array.from({ length: SLOTS }, () => undefined);
  readonly driver: CommandDriver = commandDriver('PropDrv');
  private fillCounter = 1;
  /** Called after every step in the program's turn (the invariants); its first complaint fails the run. */
  afterStep: ((op: Op) => void) | undefined;

  constructor(readonly machine: Machine) {
    // IRP_MJ_CLEANUP runs in the process whose last handle goes (at exit, the dying process):
    // unmap what was mapped into it, as a correct driver must.
    this.driver.onCleanup = (nt) => {
      const pid = nt.PsGetCurrentProcessId();
      for (const m of this.mappings.filter((x) => x.pid === pid)) this.unmap(nt, m);
      for (const l of this.locks.filter((x) => x.pid === pid)) this.unlock(nt, l);
    };
    // DriverUnload frees whatever pool the driver still holds.
    this.driver.onUnload = (nt) => {
      for (const b of this.blocks.splice(0)) nt.ExFreePoolWithTag(b.va, 'Prop');
    };
  }

  private unmap(nt: Nt, m: UserMapping): void {
    nt.MmUnmapLockedPages(m.userVa, m.mdl);
    nt.IoFreeMdl(m.mdl);
    this.mappings.splice(this.mappings.indexOf(m), 1);
  }

  private unlock(nt: Nt, l: UserLock): void {
    nt.MmUnlockPages(l.mdl);
    nt.IoFreeMdl(l.mdl);
    l.region.locks--;
    this.locks.splice(this.locks.indexOf(l), 1);
  }

  /** Starts the program of a slot: it opens the device and then serves its mailbox. */
  private spawn(slotIndex: number): Live {
    const mailbox: Command[] = [];
    const regions: Region[] = [];
    const program = defineProgram(async (k32) => {
      const device = this.driver.open(k32);
      for (;;) {
        const command = mailbox.shift();
        if (!command) {
          await k32.Sleep(1);
          continue;
        }
        if (command.op.kind === 'exit') {
          command.done = true;
          if (command.op.viaExitProcess) k32.ExitProcess(0);
          return 0;
        }
        try {
          await this.execute(k32, device, command.op, regions);
        } catch (e) {
          command.error = e;
        }
        command.done = true;
        // Checked here, in the program's own turn: the next command of the batch runs with the TLB as it is.
        this.afterStep?.(command.op);
      }
    }, `prop${slotIndex}.exe`);
    const live = { process: this.machine.spawn(program), mailbox, regions };
    this.live[slotIndex] = live;
    return live;
  }

  /** The program's side of a step (in its own process); kernel work goes through the driver. */
  private async execute(k32: K32, device: number, op: Op, regions: Region[]): Promise<void> {
    const call = <T>(body: (nt: Nt) => T) => this.driver.call(k32, device, body);
    switch (op.kind) {
      case 'poolAlloc': {
        const fill = this.fillCounter++ & 0xff;
        const block = await call((nt) => {
          const va = nt.ExAllocatePoolWithTag(op.poolType, op.size, 'Prop');
          if (va !== 0) nt.RtlFillMemory(va, op.size, fill);
          return va;
        });
        if (block !== 0) this.blocks.push({ va: block, size: op.size, poolType: op.poolType, fill });
        return;
      }
      case 'poolFree': {
        if (this.blocks.length === 0) return;
        const [b] = this.blocks.splice(op.pick % this.blocks.length, 1);
        // It may still be mapped into a process: the frame goes back all the same, and the next allocation may reuse it (pool.ts).
        await call((nt) => nt.ExFreePoolWithTag(b!.va, 'Prop'));
        return;
      }
      case 'valloc': {
        const size = op.pages * PAGE_SIZE;
        const base = k32.VirtualAlloc(0, size, MEM_RESERVE | (op.commit ? MEM_COMMIT : 0), PAGE_READWRITE);
        expect(base).not.toBe(0);
        regions.push({ base, size, committed: op.commit, locks: 0 });
        if (op.commit) for (let i = 0; i < Math.min(op.touch, op.pages); i++) k32.setUint32(base + i * PAGE_SIZE + 8, base + i);
        return;
      }
      case 'vfree': {
        // A region an MDL holds locked is not freed (a correct driver unlocks first).
        const free = regions.filter((r) => r.locks === 0);
        if (free.length === 0) return;
        const r = free[op.pick % free.length]!;
        regions.splice(regions.indexOf(r), 1);
        expect(k32.VirtualFree(r!.base, 0, MEM_RELEASE)).toBe(true);
        expect(() => k32.getUint8(r!.base)).toThrow(NtException);
        return;
      }
      case 'vdecommit': {
        const committed = regions.filter((r) => r.committed && r.locks === 0);
        if (committed.length === 0) return;
        const r = committed[op.pick % committed.length]!;
        const va = r.base + (op.page % (r.size / PAGE_SIZE)) * PAGE_SIZE;
        expect(k32.VirtualFree(va, PAGE_SIZE, MEM_DECOMMIT)).toBe(true);
        expect(() => k32.getUint8(va)).toThrow(NtException);
        return;
      }
      case 'mdlMap': {
        const candidates = this.blocks.filter((b) => (b.poolType & 1) === 0);
        if (candidates.length === 0) return;
        const block = candidates[op.pick % candidates.length]!;
        const mapped = await call((nt) => {
          const mdl = nt.IoAllocateMdl(block.va, block.size, false, false, null);
          if (!mdl) return undefined;
          nt.MmBuildMdlForNonPagedPool(mdl);
          try {
            const priority = NormalPagePriority | (op.readOnly ? MdlMappingNoWrite : 0);
            const userVa = nt.MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached, 0, false, priority);
            const m: UserMapping = { pid: nt.PsGetCurrentProcessId(), userVa, mdl, block };
            this.mappings.push(m);
            return m;
          } catch (e) {
            if (!(e instanceof NtException)) throw e;
            nt.IoFreeMdl(mdl);
            return undefined;
          }
        });
        if (!mapped) return;
        // One frame, two addresses: the program sees the driver's bytes...
        expect(mapped.userVa % PAGE_SIZE).toBe(block.va % PAGE_SIZE);
        const n = Math.min(block.size, 64);
        expect([...k32.getBytes(mapped.userVa, n)]).toEqual(Array(n).fill(block.fill));
        expect(k32.getUint8(mapped.userVa + block.size - 1)).toBe(block.fill);
        // ...and the driver sees the program's writes, unless the mapping is read-only.
        const value = (block.fill + 1) & 0xff;
        if (op.readOnly) {
          let status = 0;
          try { k32.setUint8(mapped.userVa, value); } catch (e) { if (e instanceof NtException) status = e.status; }
          expect(status).toBe(STATUS_ACCESS_VIOLATION);
        } else {
          k32.setUint8(mapped.userVa, value);
          expect(await call((nt) => nt.getUint8(block.va))).toBe(value);
          await call((nt) => nt.setUint8(block.va, block.fill));
        }
        return;
      }
      case 'mdlUnmap': {
        const pid = k32.GetCurrentProcessId();
        const mine = this.mappings.filter((m) => m.pid === pid);
        if (mine.length === 0) return;
        const m = mine[op.pick % mine.length]!;
        await call((nt) => this.unmap(nt, m));
        expect(() => k32.getUint8(m.userVa)).toThrow(NtException);
        return;
      }
      case 'mapTouchUnmap': {
        // The TLB stays warm: the program reads the mapping, the driver unmaps it in the next call
        // (same thread, no address-space switch in between), and the next read must fault.
        const candidates = this.blocks.filter((b) => (b.poolType & 1) === 0);
        if (candidates.length === 0) return;
        const block = candidates[op.pick % candidates.length]!;
        const mapped = await call((nt) => {
          const mdl = nt.IoAllocateMdl(block.va, block.size, false, false, null)!;
          nt.MmBuildMdlForNonPagedPool(mdl);
          try {
            return { mdl, userVa: nt.MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached, 0, false, NormalPagePriority) };
          } catch (e) {
            if (!(e instanceof NtException)) throw e;
            nt.IoFreeMdl(mdl);
            return undefined;
          }
        });
        if (!mapped) return;
        expect(k32.getUint8(mapped.userVa)).toBe(block.fill);
        await call((nt) => {
          nt.MmUnmapLockedPages(mapped.userVa, mapped.mdl);
          nt.IoFreeMdl(mapped.mdl);
        });
        expect(() => k32.getUint8(mapped.userVa)).toThrow(NtException);
        return;
      }
      case 'lockUser': {
        const committed = regions.filter((r) => r.committed);
        if (committed.length === 0) return;
        const r = committed[op.pick % committed.length]!;
        const locked = await call((nt) => {
          const mdl = nt.IoAllocateMdl(r.base, r.size, false, false, null)!;
          const before = nt.PsGetCurrentProcess().NumberOfLockedPages;
          try {
            nt.MmProbeAndLockPages(mdl, UserMode, op.write ? 1 : 0);
          } catch (e) {
            // A decommitted page in the range: the probe raises and leaves nothing locked.
            if (!(e instanceof NtException) || e.status !== STATUS_ACCESS_VIOLATION) throw e;
            nt.IoFreeMdl(mdl);
            return { raised: true, lockedChanged: nt.PsGetCurrentProcess().NumberOfLockedPages !== before, pfns: [], locked: 0 };
          }
          const l: UserLock = { pid: nt.PsGetCurrentProcessId(), mdl, region: r };
          this.locks.push(l);
          r.locks++;
          return { raised: false, lockedChanged: true, pfns: [...mdl.PfnArray], locked: nt.PsGetCurrentProcess().NumberOfLockedPages };
        });
        if (locked.raised) {
          expect(locked.lockedChanged).toBe(false);
          return;
        }
        // The MDL names the very frames the program's pages are, now resident.
        const k = this.machine.kernel;
        const root = k.ps.processes.find((p) => p.UniqueProcessId === k32.GetCurrentProcessId())!.DirectoryTableBase;
        expect(locked.pfns).toEqual(locked.pfns.map((_, i) => k.pageTables.frameAt(root, r.base + i * PAGE_SIZE)));
        for (const pfn of locked.pfns) expect(k.pfn.lockCount[pfn]).toBeGreaterThan(0);
        const mine = this.locks.filter((l) => l.pid === k32.GetCurrentProcessId());
        expect(locked.locked).toBe(mine.reduce((n, l) => n + l.mdl.PfnArray.length, 0));
        return;
      }
      case 'unlockUser': {
        const pid = k32.GetCurrentProcessId();
        const mine = this.locks.filter((l) => l.pid === pid);
        if (mine.length === 0) return;
        await call((nt) => this.unlock(nt, mine[op.pick % mine.length]!));
        return;
      }
      case 'partial': {
        // A partial MDL of a nonpaged block: it borrows the source's address, then gets a system mapping
        // of its own (the same frames) which MmPrepareMdlForReuse removes.
        const candidates = this.blocks.filter((b) => (b.poolType & 1) === 0 && b.size > 1);
        if (candidates.length === 0) return;
        const block = candidates[op.pick % candidates.length]!;
        const offset = op.offset % (block.size - 1);
        const length = 1 + (op.length % (block.size - offset - 1));
        const seen = await call((nt) => {
          const source = nt.IoAllocateMdl(block.va, block.size, false, false, null)!;
          nt.MmBuildMdlForNonPagedPool(source);
          const partial = nt.IoAllocateMdl(block.va, block.size, false, false, null)!;
          nt.IoBuildPartialMdl(source, partial, block.va + offset, length);
          const borrowed = nt.MmGetSystemAddressForMdlSafe(partial, NormalPagePriority);
          const own = nt.MmMapLockedPagesSpecifyCache(partial, KernelMode, MmCached, 0, false, NormalPagePriority);
          const bytes = own === 0 ? [] : [nt.getUint8(own), nt.getUint8(own + length - 1)];
          nt.MmPrepareMdlForReuse(partial);
          nt.IoFreeMdl(partial);
          nt.IoFreeMdl(source);
          return { borrowed, own, bytes };
        });
        expect(seen.borrowed).toBe(block.va + offset);
        if (seen.own !== 0) {
          expect(seen.own % PAGE_SIZE).toBe((block.va + offset) % PAGE_SIZE);
          expect(seen.bytes).toEqual([block.fill, block.fill]);
          expect(this.machine.kernel.pageTables.frameAt(this.machine.kernel.systemRoot, seen.own)).toBe(-1);
        }
        return;
      }
      case 'exit':
        return;
    }
  }

  /** Runs one step to completion. */
  step(op: Op): Promise<void> {
    return this.runBatch([op]);
  }

  /**
   * Runs steps of one slot to completion, handed to its program at once: it
   * runs them back to back in one turn, so the TLB entries one step leaves
   * are still there for the next (an `exit` comes alone, see batches()).
   */
  async runBatch(ops: readonly Op[]): Promise<void> {
    const first = ops[0]!;
    let live = this.live[first.slot];
    if (!live || live.process.exitCode !== undefined) {
      if (first.kind === 'exit') return;
      live = this.spawn(first.slot);
    }
    const commands: Command[] = ops.map((op) => ({ op, done: false }));
    live.mailbox.push(...commands);
    const exiting = first.kind === 'exit';
    const finished = () => commands.every((c) => c.done) && (!exiting || live.process.exitCode !== undefined);
    for (let i = 0; i < 100 * ops.length && !finished() && !this.machine.bugcheck; i++) await this.machine.run({ seconds: 0.02 });
    if (this.machine.bugcheck) throw new Error(`bug check ${JSON.stringify(this.machine.bugcheck, null, 1)} in ${JSON.stringify(ops)}`);
    if (!finished()) throw new Error(`steps did not finish: ${JSON.stringify(ops)}`);
    const failed = commands.find((c) => c.error);
    if (failed) throw failed.error;
    if (exiting) {
      expect(live.process.exitCode).toBe(0);
      this.live[first.slot] = undefined;
    }
  }

  /** Every process exits; the driver unloads. */
  async teardown(): Promise<void> {
    for (let s = 0; s < SLOTS; s++) if (this.live[s]) await this.step({ kind: 'exit', slot: s, viaExitProcess: false });
    expect(this.mappings).toEqual([]);
    expect(this.locks).toEqual([]);
    expect(this.machine.unloadDriver('PropDrv')).toBe(0);
  }

  liveCount(): number {
    return this.live.filter((l) => l !== undefined).length;
  }
}

/**
 * The other direction of the reverse map: every valid PTE of a live
 * process's VADs, of the system PTE region (MDL and I/O-space mappings) and
 * of every live pool block is in the reverse map, with the frame it names.
 */
function pteToReverseMapProblems(world: World): string[] {
  const k = world.machine.kernel;
  const problems: string[] = [];
  const check = (root: number, va: number, user: boolean) => {
    const pfn = k.pageTables.frameAt(root, va);
    if (pfn < 0) return;
    const listed = (k.pageTables.mappings.get(pfn) ?? []).some((m) => m.va === va && m.root === (user ? root : -1));
    if (!listed) problems.push(`${k.formatAddress(va)} maps PFN ${pfn}, which the reverse map does not list there`);
  };
  for (const p of k.ps.processes) {
    if (p.exited || p === k.idleProcess) continue;
    for (const vad of p.VadRoot.vads) for (let va = vad.start; va < vad.end; va += PAGE_SIZE) check(p.DirectoryTableBase, va, true);
  }
  const region = k.systemPtes.region;
  for (let va = region.base; va < region.base + region.size; va += PAGE_SIZE) check(k.systemRoot, va, false);
  for (const a of k.pool.allocations.values()) {
    for (let va = a.address - (a.address % PAGE_SIZE); va < a.address + a.numberOfBytes; va += PAGE_SIZE) check(k.systemRoot, va, false);
  }
  return problems;
}

/** Consecutive steps of one slot go to its program together (an exit alone): the property's turns. */
function batches(ops: readonly Op[]): Op[][] {
  const out: Op[][] = [];
  for (const op of ops) {
    const last = out[out.length - 1];
    if (last && op.kind !== 'exit' && last[0]!.kind !== 'exit' && last[0]!.slot === op.slot) last.push(op);
    else out.push([op]);
  }
  return out;
}

/** The invariants that must hold between any two steps. */
function invariantProblems(world: World, base: { handles: number; processes: number }): string[] {
  const k = world.machine.kernel;
  const problems = [...k.pfn.check(), ...mappingProblems(k), ...pteToReverseMapProblems(world)];
  let nonPaged = 0;
  let paged = 0;
  for (const a of k.pool.allocations.values()) {
    if (a.poolType & 1) paged += a.charged;
    else nonPaged += a.charged;
    // A trimmed paged pool page is not mapped, but its PTE names its frame or its pagefile copy (mm/working-set.ts).
    const resident = k.pageTables.frameAt(k.systemRoot, a.address) >= 0 || k.workingSets.MiTrimmedState(k.systemRoot, a.address) !== undefined;
    if (!resident) problems.push(`pool block ${k.formatAddress(a.address)} is not mapped`);
  }
  if (nonPaged !== k.pool.nonPagedBytes) problems.push(`nonpaged pool: ${k.pool.nonPagedBytes} bytes counted, ${nonPaged} allocated`);
  if (paged !== k.pool.pagedBytes) problems.push(`paged pool: ${k.pool.pagedBytes} bytes counted, ${paged} allocated`);
  for (const b of world.blocks) if (!k.pool.allocations.has(b.va)) problems.push(`the driver's block ${k.formatAddress(b.va)} is not allocated`);
  const stats = world.machine.stats();
  // Each live process holds two handles: its inherited console and the device it opened.
  if (stats.handles !== base.handles + 2 * world.liveCount()) problems.push(`${stats.handles} handles for ${world.liveCount()} live process(es)`);
  if (stats.processes !== base.processes + world.liveCount()) problems.push(`${stats.processes} processes, ${world.liveCount()} live`);
  return problems;
}

describe('random sequences of allocate, map, unmap, free and exit', () => {
  it.each(['x64', 'x86'] as const)('keep the PFN database consistent and leak nothing on %s', async (arch) => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary, { minLength: 1, maxLength: 30, size: 'max' }), fc.nat({ max: 0xffff }), async (ops, seed) => {
        const machine = await boot({ arch, memoryMiB: 16, seed: seed + 1 });
        const booted = machine.stats();
        const world = new World(machine);
        expect(machine.loadDriver('PropDrv', world.driver.definition)).toBe(0);
        expect(invariantProblems(world, booted)).toEqual([]);
        let complaint: string | undefined;
        world.afterStep = (op) => {
          const problems = invariantProblems(world, booted);
          if (problems.length > 0) complaint ??= `after ${JSON.stringify(op)}:\n${problems.join('\n')}`;
        };
        for (const batch of batches(ops)) {
          await world.runBatch(batch);
          if (complaint) throw new Error(complaint);
          const problems = invariantProblems(world, booted);
          if (problems.length > 0) throw new Error(`after ${JSON.stringify(batch)}:\n${problems.join('\n')}`);
        }
        await world.teardown();
        expect(invariantProblems(world, booted)).toEqual([]);
        expect(machine.stats()).toEqual(booted);
        expect(machine.bugcheck).toBeUndefined();
      }),
      { numRuns: 50 },
    );
  });
});
