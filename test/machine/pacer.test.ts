/**
 * Machine.pacer: a front end (the web page's worker) stops the run for a
 * moment between scheduler steps and at a program's preemptible system calls.
 * A paced run is the same run as an unpaced one, and a pause can fall in the
 * middle of a thread's turn, right after the system call that logged an event.
 */
import { describe, expect, it } from 'vitest';
import { boot, type MemoryMap } from 'ntshm';
import { findSample, samples } from '../../samples/registry.js';

/** Runs a sample; with `pauseAt`, pauses whenever it says so and records the memory map at each pause. */
async function run(name: string, seed: number, pauseAt?: (logLength: number) => boolean) {
  const machine = await boot({ arch: 'x64', seed, trace: true });
  const maps: { logLength: number; map: MemoryMap }[] = [];
  let pauses = 0;
  if (pauseAt) {
    machine.pacer = {
      pauseNow: () => pauseAt(machine.log.length),
      between: async () => {
        pauses++;
        maps.push({ logLength: machine.log.length, map: machine.memoryMap() });
      },
    };
  }
  const report = await machine.runScenario(findSample(name)!, {});
  return { machine, report, maps, pauses, trace: machine.trace()!.traceEvents };
}

describe('a paced run', () => {
  for (const sample of samples) {
    it(`is the same run as an unpaced one, pausing at every chance: ${sample.name}`, async () => {
      const plain = await run(sample.name, 11);
      const paced = await run(sample.name, 11, () => true);
      expect(paced.pauses).toBeGreaterThan(0);
      expect(paced.report.outcome).toEqual(plain.report.outcome);
      expect(paced.report.events).toEqual(plain.report.events);
      expect(paced.trace).toEqual(plain.trace);
    });
  }

  it('can stop in the middle of a program\'s turn, right after the system call that logged an event', async () => {
    // locked-user-buffer's program locks its buffer, reads it and unlocks it in one turn, then exits: between
    // scheduler steps the program is gone; at the entry of its next DeviceIoControl the buffer is still locked.
    const plain = await run('locked-user-buffer', 5);
    const locked = plain.report.events.findIndex((e) => e.text.includes('user buffer locked'));
    expect(locked).toBeGreaterThanOrEqual(0);
    let wanted = true;
    const paced = await run('locked-user-buffer', 5, (n) => {
      if (!wanted || n <= locked) return false;
      wanted = false;
      return true;
    });
    expect(paced.maps).toHaveLength(1);
    const { logLength, map } = paced.maps[0]!;
    // Paused at the program's next request (the read), before the driver logged anything of it.
    const unlocked = plain.report.events.findIndex((e) => e.text.includes('user buffer unlocked'));
    expect(logLength).toBeGreaterThan(locked);
    expect(logLength).toBeLessThan(unlocked);
    expect(plain.report.events[logLength]!.text).toContain('now says');
    const program = map.processes.find((p) => !p.system);
    expect(program, 'the program is still running').toBeDefined();
    expect(map.frames.some((f) => f.lockCount > 0), 'a frame is locked by the MDL').toBe(true);
    expect(paced.report.events).toEqual(plain.report.events);
  });
});
