/**
 * Misuse `view-in-user-process` (reference/misuse.md, seed 001): a driver
 * maps its own view of a section with ZwMapViewOfSection(NtCurrentProcess())
 * while it runs in a program's context (a dispatch routine), and keeps it
 * after the routine returns. The view is then user memory of that program:
 * the program can read it, write it, unmap it or protect it while the driver
 * believes it is the driver's. JustKernel's article maps from DriverEntry,
 * which runs in the System process, where no program can reach the view.
 *
 * Windows has no check for it; ntshm reports the finding
 * `driver-view-in-user-process` when the routine that mapped the view
 * returns with the view still mapped. A view the routine unmaps before it
 * returns (KB Q194945's Section.sys) is no finding.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-zwmapviewofsection
 */
import type { MmProcess } from '../mm/context.js';
import type { ObContext } from '../ob/context.js';

/** Watches a view a driver mapped into `process` at `baseAddress`: if still mapped when the routine returns, a finding. */
export function VfWatchDriverView(k: ObContext, process: MmProcess, baseAddress: number): void {
  if (process === k.systemProcess) return;
  const vad = process.VadRoot.find(baseAddress);
  if (!vad) return;
  k.attribution.onReturn((frame) => {
    // A machine that stopped, or a process that is gone, leaves nothing for the program to tamper with.
    if (k.bugcheck || process.exited || process.VadRoot.find(baseAddress) !== vad) return;
    k.report({
      kind: 'driver-view-in-user-process',
      driver: frame.driver,
      routine: frame.routine,
      message: `driver-view-in-user-process: ${frame.driver}!${frame.routine} mapped a view at 0x${baseAddress.toString(16)} in ${process.ImageFileName} and returned with it still mapped; the program can read, write or unmap the driver's view (map it while running in the System process, as from DriverEntry)`,
      details: { process: process.ImageFileName, baseAddress, viewSize: vad.end - vad.start },
    });
  });
}
