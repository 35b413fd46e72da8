/**
 * The verifier's MDL flag checks at the driver's call (automatic checks, any
 * option): an MDL handed to MmProbeAndLockPages (0xC4/0xB0) or
 * MmProbeAndLockProcessPages (0xB1) that is already locked, mapped, built
 * for nonpaged pool, partial or I/O space; and one handed to
 * MmMapLockedPages(SpecifyCache) in KernelMode that is already mapped to
 * system space (0xB2). P2 the MDL, P3 its flags, P4 the flags that should not
 * be there.
 * https://learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-0xc4--driver-verifier-detected-violation
 * ReactOS ntoskrnl/mm/ARM3/mdlsup.c (MmProbeAndLockPages: the flags it asserts clear)
 */
import { DRIVER_VERIFIER_DETECTED_VIOLATION } from '../../include/bugcodes.js';
import { MDL_IO_SPACE, MDL_MAPPED_TO_SYSTEM_VA, MDL_PAGES_LOCKED, MDL_PARTIAL, MDL_SOURCE_IS_NONPAGED_POOL } from '../../include/wdm-constants.js';
import type { MmContext } from '../mm/context.js';
import type { Mdl } from '../mm/mdl-object.js';

/** The flags an MDL given to MmProbeAndLockPages must not have. */
const MI_PROBE_FORBIDDEN = MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL | MDL_PARTIAL | MDL_IO_SPACE;

/** MmProbeAndLockPages (0xB0) or MmProbeAndLockProcessPages (0xB1) of an MDL whose flags say it is not a fresh one. */
export function VfCheckProbeAndLockFlags(k: MmContext, mdl: Mdl, routine: 'MmProbeAndLockPages' | 'MmProbeAndLockProcessPages'): void {
  if (!k.options.verifier) return;
  const bad = mdl.MdlFlags & MI_PROBE_FORBIDDEN;
  if (bad === 0) return;
  k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, routine === 'MmProbeAndLockPages' ? 0xb0 : 0xb1, mdl.address, mdl.MdlFlags, bad,
    `${routine} was given the MDL at ${k.formatAddress(mdl.address)} with flags 0x${mdl.MdlFlags.toString(16)}: ` +
    'it is already locked, mapped, built for nonpaged pool or partial (MmPrepareMdlForReuse or a new MDL before locking again).');
}

/** MmMapLockedPages(SpecifyCache) in KernelMode of an MDL already mapped to system space: 0xB2. */
export function VfCheckMapFlags(k: MmContext, mdl: Mdl): void {
  if (!k.options.verifier || (mdl.MdlFlags & MDL_MAPPED_TO_SYSTEM_VA) === 0) return;
  k.bugCheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xb2, mdl.address, mdl.MdlFlags, MDL_MAPPED_TO_SYSTEM_VA,
    `MmMapLockedPagesSpecifyCache(KernelMode) was given the MDL at ${k.formatAddress(mdl.address)}, already mapped to system space at ` +
    `${k.formatAddress(mdl.MappedSystemVa)}: use MappedSystemVa (MmGetSystemAddressForMdlSafe) instead of mapping it again.`);
}
