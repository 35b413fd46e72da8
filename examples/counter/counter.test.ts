/**
 * The README's test of a user's driver: run the scenario to its end and check
 * the report. Runs in `npm test`; in your own project it runs as it stands.
 */
import { expect, it } from 'vitest';
import { framesSharedWith, runClean } from 'ntshm/testing';
import counter from './scenario.js';

it('the client reads the count from the page the driver maps into it', async () => {
  const report = await runClean(counter, { arch: 'x64' });
  expect(report.processes[0]?.stdout).toMatch(/: 3\n$/);
  // One frame, two addresses: the driver's in kernel space, the client's in its user space.
  const [frame] = framesSharedWith(report, 'Counter.exe');
  expect(frame?.mappings.map((m) => m.mode)).toEqual(['kernel', 'user']);
});

it('does the same on x86', async () => {
  await runClean(counter, { arch: 'x86' });
});

it('passes the driver verifier, and unmaps before the client is gone', async () => {
  const report = await runClean(counter, { verifier: true });
  const [frame] = framesSharedWith(report, 'Counter.exe');
  expect(frame?.mappings.every((m) => !m.mappedAtEnd)).toBe(true);
});
