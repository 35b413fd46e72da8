/**
 * Sections under random use by two processes: each op (make or open the
 * named section, map a view, write a byte through a view, unmap a view,
 * close the handle) runs in one of two programs, in turn. After every op,
 * every view the acting program holds reads what was last written at each
 * offset — whichever process wrote it, through whichever view — and a
 * section whose last view and handle went is gone (the name makes a new,
 * zeroed one). At the end both programs unmap and close everything and
 * exit: the free frames and the commit charge are back where they were.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boot } from '../../src/index.js';
import { defineProgram, FILE_MAP_ALL_ACCESS, INVALID_HANDLE_VALUE, PAGE_READWRITE, type K32 } from '../../src/api/win32.js';

const SIZE = 0x3000;
const NAME = 'PropertySection';
const SLOT_MS = 20;
const ERROR_ALREADY_EXISTS = 183;

type Op =
  | { who: 0 | 1; kind: 'create' | 'map' | 'unmap' | 'close' }
  | { who: 0 | 1; kind: 'write'; view: number; offset: number; value: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ who: fc.constantFrom<0 | 1>(0, 1), kind: fc.constantFrom<'create' | 'map' | 'unmap' | 'close'>('create', 'map', 'unmap', 'close') }),
  fc.record({
    who: fc.constantFrom<0 | 1>(0, 1), kind: fc.constant<'write'>('write'), view: fc.nat(7), offset: fc.integer({ min: 0, max: SIZE - 1 }),
    value: fc.integer({ min: 1, max: 255 }),
  }),
);

async function runOps(arch: 'x64' | 'x86', ops: readonly Op[]): Promise<string[]> {
  const machine = await boot({ arch, seed: 1, profile: 'nt4' });
  const before = machine.stats();
  const problems: string[] = [];
  // What each offset holds now, by the host's account; cleared when the section is made anew.
  let expected = new Map<number, number>();

  const program = (me: 0 | 1) => defineProgram(async (k32: K32) => {
    let handle = 0;
    const views: number[] = [];
    const check = (when: string) => {
      for (const [view, va] of views.entries()) {
        for (const [offset, value] of expected) {
          const seen = k32.getUint8(va + offset);
          if (seen !== value) problems.push(`${when}: process ${me} view ${view} offset 0x${offset.toString(16)} holds ${seen}, not ${value}`);
        }
      }
    };
    for (const [i, op] of ops.entries()) {
      if (op.who === me) {
        if (op.kind === 'create' && handle === 0) {
          handle = k32.CreateFileMappingW(INVALID_HANDLE_VALUE, null, PAGE_READWRITE, 0, SIZE, NAME);
          if (handle === 0) problems.push(`op ${i}: CreateFileMapping failed (${k32.GetLastError()})`);
          // A name that no longer names a section makes a new one: zeroed.
          else if (k32.GetLastError() !== ERROR_ALREADY_EXISTS) expected = new Map();
        } else if (op.kind === 'map' && handle !== 0) {
          const va = k32.MapViewOfFile(handle, FILE_MAP_ALL_ACCESS, 0, 0, 0);
          if (va === 0) problems.push(`op ${i}: MapViewOfFile failed (${k32.GetLastError()})`);
          else views.push(va);
        } else if (op.kind === 'unmap' && views.length > 0) {
          if (!k32.UnmapViewOfFile(views.pop()!)) problems.push(`op ${i}: UnmapViewOfFile failed`);
        } else if (op.kind === 'close' && handle !== 0) {
          k32.CloseHandle(handle);
          handle = 0;
        } else if (op.kind === 'write' && views.length > 0) {
          k32.setUint8(views[op.view % views.length]! + op.offset, op.value);
          expected.set(op.offset, op.value);
        }
        check(`after op ${i} (${op.kind})`);
      }
      await k32.Sleep(SLOT_MS);
    }
    for (const va of views) k32.UnmapViewOfFile(va);
    if (handle !== 0) k32.CloseHandle(handle);
    return 0;
  });

  const a = machine.spawn(program(0), { name: 'A.exe' });
  const b = machine.spawn(program(1), { name: 'B.exe' });
  await machine.run({ seconds: (ops.length * SLOT_MS) / 1000 + 5 });
  if (a.exitCode !== 0 || b.exitCode !== 0) problems.push(`exit codes ${a.exitCode} ${b.exitCode}`);
  const after = machine.stats();
  if (after.frames.free !== before.frames.free) problems.push(`free frames ${before.frames.free} → ${after.frames.free}`);
  if (after.commit.charged !== before.commit.charged) problems.push(`commit ${before.commit.charged} → ${after.commit.charged}`);
  if (machine.report().bugcheck) problems.push(`bug check ${machine.report().bugcheck!.codeHex}`);
  return problems;
}

describe('sections shared by two processes, under random use', () => {
  it.each(['x64', 'x86'] as const)('every view sees the same bytes; frames and commit return to where they were (%s)', async (arch) => {
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
      expect(await runOps(arch, ops)).toEqual([]);
    }), { numRuns: 12, seed: 8 });
  });

  it('a fixed sequence: B writes through its view, A reads it through two of its own', async () => {
    const ops: Op[] = [
      { who: 0, kind: 'create' }, { who: 0, kind: 'map' }, { who: 0, kind: 'map' }, { who: 1, kind: 'create' }, { who: 1, kind: 'map' },
      { who: 1, kind: 'write', view: 0, offset: 0x1234, value: 7 }, { who: 0, kind: 'write', view: 1, offset: 0x2fff, value: 9 },
      { who: 1, kind: 'close' }, { who: 1, kind: 'unmap' }, { who: 0, kind: 'unmap' },
    ];
    expect(await runOps('x64', ops)).toEqual([]);
  });
});
