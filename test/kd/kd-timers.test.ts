/**
 * !timer and !dpcs: inverted-call's periodic KTIMER with its DPC beside the
 * I/O manager's one-second timer, each in its timer-table list; the DPC
 * queues; live, and the same from the dump.
 */
import { describe, expect, it } from 'vitest';
import { boot, loadDump, type Machine } from 'ntshm';
import { invertedCall } from '../../samples/registry.js';

async function invertedCallRunning(arch: 'x64' | 'x86'): Promise<Machine> {
  const m = await boot({ arch });
  await invertedCall.setup(m, { seconds: 5, variant: undefined });
  await m.run({ seconds: 2.3 });
  return m;
}

describe('!timer', () => {
  it('x64: the driver\'s periodic timer (P) queues InvertedCall!EventTimerDpc at 2.5 s; the I/O timer nt!IopTimerDispatch at 3 s', async () => {
    const m = await invertedCallRunning('x64');
    expect(m.kd('!timer')).toBe([
      'Dump system timers',
      '',
      'Interrupt time: 015ef3c4 00000000 [ 1/ 1/2026 12:00:02.300 (UTC)]',
      '',
      'List Timer               Interrupt Low/High     Fire Time              DPC/thread',
      '160 0000000000000000 P 017d7849 00000000 [ 1/ 1/2026 12:00:02.500]  InvertedCall!EventTimerDpc',
      '192 0000000000000000 P 01c9c380 00000000 [ 1/ 1/2026 12:00:03.000]  nt!IopTimerDispatch',
      '',
      'Total Timers: 2, Maximum List: 1',
      'Current Hand: 147',
    ].join('\n'));
  });

  it.each(['x64', 'x86'] as const)('%s: the dump shows the same timers and DPC queues', async (arch) => {
    const m = await invertedCallRunning(arch);
    expect(m.kd('!timer')).toMatch(/^ *\d+ [0-9a-f]+ P [0-9a-f]{8} 0{8} \[[ \d/:.]+\] {2}InvertedCall!EventTimerDpc$/m);
    expect(m.kd('!dpcs').split('\n')).toEqual(['CPU Type      KDPC       Function', ' 0: (queue empty)', ' 1: (queue empty)']);
    expect(m.kd('!dpcs 1').split('\n')).toEqual(['CPU Type      KDPC       Function', ' 1: (queue empty)']);
    const dump = loadDump(m.dump());
    for (const c of ['!timer', '!dpcs']) expect(dump.kd(c), c).toBe(m.kd(c));
  });
});
