/**
 * The meanings `!analyze -v` gives the parameters of Driver Verifier's
 * violations that ntshm raises beyond the MDL ones (analysis-params.ts):
 * 0xC4's IRQL, pool, security and DDI-rule subcodes, and 0xC9's I/O
 * verification codes.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xc4--driver-verifier-detected-violation
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xc9--driver-verifier-iomanager-violation
 */
import { DDI_RULES } from '../kernel/verifier/ddi-rules.js';
import type { BugCheckParamText } from './analysis-params.js';

const T = (summary: string, p1: string, p2: string, p3: string, p4: string): BugCheckParamText => ({ summary, params: [p1, p2, p3, p4] });

/** 0xC4 subcodes of the IRQL checks, pool, Security Checks and the DDI rules. */
export const C4_MORE: Readonly<Record<number, BugCheckParamText>> = {
  0x00: T('The driver requested a zero-byte pool allocation.', 'Violation 0x0', 'Current IRQL', 'Pool type', 'Number of bytes'),
  0x15: T('The driver attempted to free pool which contains an active timer.', 'Violation 0x15', 'Timer entry', 'Pool type (-1 for special pool)', 'Pool address being freed'),
  0xd2: T('The driver has attempted to free a pool allocation that contains an active ERESOURCE structure.', 'Violation 0xD2', 'Address of the ERESOURCE structure', 'Starting address of the pool allocation', 'Size of the pool allocation'),
  0x01: T('The driver attempted to allocate paged memory with IRQL > APC_LEVEL.', 'Violation 0x1', 'Current IRQL', 'Pool type', 'Size of allocation, in bytes'),
  0x02: T('The driver attempted to allocate nonpaged memory with IRQL > DISPATCH_LEVEL.', 'Violation 0x2', 'Current IRQL', 'Pool type', 'Size of allocation, in bytes'),
  0x11: T('The driver attempted to free paged pool with IRQL > APC_LEVEL.', 'Violation 0x11', 'Current IRQL', 'Pool type', 'Address of pool'),
  0x12: T('The driver attempted to free nonpaged pool with IRQL > DISPATCH_LEVEL.', 'Violation 0x12', 'Current IRQL', 'Pool type', 'Address of pool'),
  0x30: T('The driver passed KeRaiseIrql a value lower than the current IRQL, or higher than HIGH_LEVEL.', 'Violation 0x30', 'Current IRQL', 'Requested IRQL', '0'),
  0x31: T('The driver passed KeLowerIrql a value higher than the current IRQL, or higher than HIGH_LEVEL.', 'Violation 0x31', 'Current IRQL', 'Requested IRQL', '0: New IRQL is bad, 1: New IRQL is invalid inside a DPC routine'),
  0x7e: T('MmAllocatePagesForMdl(Ex) or MmFreePagesFromMdl with IRQL > DISPATCH_LEVEL.', 'Violation 0x7E', 'Current IRQL', 'DISPATCH_LEVEL', '0'),
  0x11a: T('The driver called KeEnterCriticalRegion at IRQL > APC_LEVEL.', 'Violation 0x11A', 'Current IRQL', 'Reserved', 'Reserved'),
  0x11b: T('The driver called KeLeaveCriticalRegion at IRQL > APC_LEVEL.', 'Violation 0x11B', 'Current IRQL', 'Reserved', 'Reserved'),
  0xe2: T('An IRP with Irp->RequestorMode set to KernelMode was found to have a user-mode address as one of its members.', 'Violation 0xE2', 'Address of the IRP', 'User-mode address present in the IRP', 'Reserved'),
  0xe5: T('A call was made to a Kernel API at the incorrect IRQL.', 'Violation 0xE5', 'Current IRQL', 'Reserved', 'Reserved'),
  0xe6: T('Kernel Zw API was not called at IRQL = PASSIVE_LEVEL and with special kernel APCs enabled.', 'Violation 0xE6', 'Address inside the driver making the Zw API call', 'Current IRQL', 'Special kernel APCs'),
  ...Object.fromEntries(DDI_RULES.map((r) => [r.id, T(`The driver violated the DDI compliance rule ${r.name} (${r.condition}).`,
    `Violation 0x${r.id.toString(16).toUpperCase().padStart(8, '0')}`, 'Pointer to the string that describes the violated rule condition',
    'Optional pointer to the rule state variable(s)', 'Reserved')])),
};

/** 0xC9's P1 values ntshm raises. The I/O error codes (0x200 and up) carry the driver address, the IRP and the device object. */
const IO_ERROR = (summary: string, code: number): BugCheckParamText =>
  T(summary, `I/O error code 0x${code.toString(16).toUpperCase()}`, 'Address in the driver\'s code where the error was detected', 'IRP', 'Device object');

export const C9: Readonly<Record<number, BugCheckParamText>> = {
  0x05: T('The IRQL changed during a call to the driver dispatch routine.', 'Violation 0x5', 'Address of device object associated with offending driver', 'IRQL before IoCallDriver', 'IRQL after IoCallDriver'),
  0x06: T('The driver called IoCompleteRequest with a status marked as pending (or equal to -1).', 'Violation 0x6', 'IRP status', 'Address of IRP being completed', '0'),
  0x07: T('The driver called IoCompleteRequest while its cancel routine was still set.', 'Violation 0x7', 'Address of cancel routine', 'Address of IRP being completed', '0'),
  0x0e: T('The driver called IoCompleteRequest with IRQL > DISPATCH_LEVEL.', 'Violation 0xE', 'Current IRQL', 'Address of IRP', '0'),
  0x10: T('IoCallDriver was called above DISPATCH_LEVEL.', 'Violation 0x10', 'Current IRQL', 'Reserved', 'Reserved'),
  0x203: IO_ERROR('A driver has called IoCallDriver without setting the cancel routine in the IRP to NULL.', 0x203),
  0x204: IO_ERROR('The caller has passed in NULL as a device object.', 0x204),
  0x23d: IO_ERROR('A driver has returned STATUS_PENDING but did not mark the IRP pending via a call to IoMarkIrpPending.', 0x23d),
  0x23e: IO_ERROR('A driver has marked an IRP pending but didn\'t return STATUS_PENDING.', 0x23e),
  0x312: IO_ERROR('The caller provided the IRP Status Information field with a value that is greater than the output section of the system buffer.', 0x312),
};
