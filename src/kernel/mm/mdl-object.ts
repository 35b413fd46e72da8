/**
 * The MDL: a fixed header and the array of frame numbers that follows it.
 *
 *   typedef struct _MDL { struct _MDL *Next; CSHORT Size; CSHORT MdlFlags;
 *     struct _EPROCESS *Process; PVOID MappedSystemVa; PVOID StartVa;
 *     ULONG ByteCount; ULONG ByteOffset; } MDL;   // then PFN_NUMBER[pages]
 *
 * Example (seed 004): a buffer at 0xAC004010 gives StartVa 0xAC004000 and
 * ByteOffset 0x10; MmGetMdlVirtualAddress is StartVa + ByteOffset.
 * https://learn.microsoft.com/windows-hardware/drivers/kernel/using-mdls
 */
import type { MmProcess } from './context.js';
export { ADDRESS_AND_SIZE_TO_SPAN_PAGES } from '../../include/page.js';

/** sizeof(MDL): 0x30 on x64, 0x1c on x86. */
export const mdlHeaderSize = (arch: 'x64' | 'x86'): number => (arch === 'x64' ? 0x30 : 0x1c);

/** MDL: the header fields (StartVa, ByteOffset, ByteCount, MdlFlags, MappedSystemVa) and the PFN array, in nonpaged pool. */
export class Mdl {
  Next: Mdl | null = null;
  /** Header plus PFN array, in bytes (CSHORT Size). */
  Size: number;
  MdlFlags = 0;
  Process: MmProcess | null = null;
  MappedSystemVa = 0;
  StartVa: number;
  ByteCount: number;
  ByteOffset: number;
  /** The PFN array (MmGetMdlPfnArray). Until the MDL is built it holds what the pool held: nothing valid. */
  readonly PfnArray: number[];
  /** How many PFN entries the MDL's block has room for (IoBuildPartialMdl may describe fewer pages than the block holds). */
  pfnCapacity: number;
  /** Kernel address of the MDL in nonpaged pool. */
  address = 0;
  /** System-PTE reservation behind MappedSystemVa, when MDL_MAPPED_TO_SYSTEM_VA. */
  systemMapping: { va: number; pages: number } | null = null;
  /** The driver that allocated it. */
  owner: string | undefined;
  /** Where MmMapLockedPagesSpecifyCache(UserMode) put it and it has not been unmapped (the process may have exited). */
  readonly userMappings: { process: MmProcess; va: number }[] = [];

  constructor(virtualAddress: number, length: number, pages: number, size: number) {
    this.ByteOffset = virtualAddress % 4096;
    this.StartVa = virtualAddress - this.ByteOffset;
    this.ByteCount = length;
    this.Size = size;
    this.PfnArray = new Array<number>(pages).fill(0);
    this.pfnCapacity = pages;
  }
}

