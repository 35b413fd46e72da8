/**
 * A dump of format version 1 (written before the snapshot kept device
 * objects, dispatch tables and thread states) still loads: the commands it
 * can answer answer as before, and those that need the newer state say the
 * dump predates them.
 */
import { describe, expect, it } from 'vitest';
import { boot, loadDump } from 'ntshm';
import { decodeDump, encodeDump } from '../../src/kd/dump-format.js';
import type { KdSnapshot } from '../../src/kd/snapshot.js';
import { sharingMemory } from '../../samples/registry.js';

/** The snapshot as version 1 wrote it: none of the fields version 2 added. */
function asVersion1(s: KdSnapshot): KdSnapshot {
  const { devices: _d, currentThread: _c, timers: _t, dpcQueues: _q, clock: _k, ...rest } = s;
  return {
    ...rest,
    drivers: s.drivers.map(({ service, name, start, size, unloaded }) => ({ service, name, start, size, unloaded })),
    processes: s.processes.map((p) => ({ ...p, threads: p.threads.map(({ run: _r, ...t }) => t) })),
    irps: s.irps.map(({ flags: _f, ...irp }) => irp),
  };
}

describe('a version 1 dump', () => {
  it('loads; lm and !process answer; !drvobj, !devobj, !devstack, !thread, !timer and !dpcs say the dump predates them', async () => {
    const m = await boot({ arch: 'x64' });
    await sharingMemory.setup(m, { seconds: 5, variant: undefined });
    await m.run({ seconds: 2 });
    const { snapshot, memory } = decodeDump(m.dump());
    const old = loadDump(encodeDump(asVersion1(snapshot), memory, 1));
    expect(old.version).toBe(1);
    expect(old.kd('lm')).toBe(m.kd('lm'));
    expect(old.kd('!process 0 0')).toBe(m.kd('!process 0 0'));
    expect(old.kd('!process 104 7')).toMatch(/^ {8}THREAD \S+ {2}Cid 0104\.0108 {2}Teb: \S+ Win32Thread: 0+$/m);
    for (const c of ['!drvobj SharingMemory', '!devobj SharingMemory', '!devstack SharingMemory', '!thread', '!timer', '!dpcs']) {
      const command = c.split(' ')[0]!;
      const { output, error } = old.kdRun(c);
      expect(error, c).toBe(true);
      expect(output).toBe(`${command}: this dump predates ${command} (dump format version 1 kept no device objects, dispatch tables, thread states, timers or DPC queues); write the dump again with this ntshm`);
    }
  });
});
