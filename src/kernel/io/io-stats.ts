/**
 * What the I/O manager moved for drivers, by transfer method: the counters
 * behind `machine.ioStats()`. Windows keeps only IoReadOperationCount,
 * IoWriteOperationCount and IoOtherOperationCount (IopUpdateOperationCount);
 * these split the same requests by how the caller's buffer reached the
 * driver, which is what the three transfer methods differ in.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/methods-for-accessing-data-buffers
 */

/** The I/O manager's counters of buffered, direct and neither transfers (IOCTLs, reads and writes). */
export interface IoStats {
  /** METHOD_BUFFERED and DO_BUFFERED_IO: the caller's bytes copied into a SystemBuffer and back out. */
  buffered: { requests: number; bytesCopiedIn: number; bytesCopiedOut: number };
  /** METHOD_IN_DIRECT, METHOD_OUT_DIRECT and DO_DIRECT_IO: user pages probed, locked and described by an MDL. */
  direct: { requests: number; mdls: number; bytesMapped: number };
  /** METHOD_NEITHER and neither-I/O devices: the raw user addresses, nothing copied or locked. */
  neither: { requests: number };
}

/** Zeroed counters. */
export function IopNewIoStats(): IoStats {
  return {
    buffered: { requests: 0, bytesCopiedIn: 0, bytesCopiedOut: 0 },
    direct: { requests: 0, mdls: 0, bytesMapped: 0 },
    neither: { requests: 0 },
  };
}

/** A copy of the counters, which later requests do not change. */
export function IopCopyIoStats(s: IoStats): IoStats {
  return { buffered: { ...s.buffered }, direct: { ...s.direct }, neither: { ...s.neither } };
}
