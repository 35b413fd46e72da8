/**
 * `ntshm run --trace FILE`: the run's trace written as Chrome trace-event
 * JSON; a path that cannot be written is one line on stderr and exit 2.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/program.js';

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => { out += s; }, err: (s) => { err += s; } });
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'ntshm-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ntshm run --trace', () => {
  it('writes the trace, which parses and names the sample\'s dispatch routine', async () => {
    const file = join(dir, 'run.json');
    const { code, err } = await cli('run', 'sharing-memory', '--seconds', '2', '--volume', join(dir, 'C'), '--trace', file);
    expect(err).toBe('');
    expect(code).toBe(0);
    const trace = JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: { name: string; ph: string }[]; displayTimeUnit: string };
    expect(trace.displayTimeUnit).toBe('ns');
    expect(trace.traceEvents.some((e) => e.ph === 'X' && e.name === 'SharingMemory!DispatchControl')).toBe(true);
  });

  it('a path that cannot be written exits 2 with one line naming it', async () => {
    const file = join(dir, 'no', 'such', 'folder', 'run.json');
    const { code, err } = await cli('run', 'sharing-memory', '--seconds', '1', '--volume', join(dir, 'C'), '--trace', file);
    expect(code).toBe(2);
    expect(err).toMatch(/^ntshm: cannot write the trace to [^\n]+run\.json: [^\n]+\n$/);
  });
});
