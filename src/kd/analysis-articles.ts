/**
 * Where one of the seed articles (/work/shared/seeds, the samples' sources)
 * warns about exactly the mistake a bug check caught: the warning, quoted
 * short, and the article's title. Keyed by bug check code, 0xC4's P1 when it
 * matters, and the sample (a scenario of that name) when the warning is one
 * article's; the most specific entry that matches wins.
 */

/** A seed article's warning. */
export interface ArticleWarning {
  /** The seed's number ('003'). */
  seed: string;
  title: string;
  /** The article's own words. */
  quote: string;
  /** How the warning bears on this bug check, in ntshm's words. */
  why: string;
}

interface Entry {
  code: number;
  p1?: number;
  scenario?: string;
  warning: ArticleWarning;
}

const SEED_000 = 'SAMPLE: Section.exe on Sharing Memory Between Kernel & User Mode (Microsoft KB Q194945)';
const SEED_001 = 'Shared Memory Between User-Mode And Kernel-Mode (Section Object) (JustKernel)';
const SEED_002 = 'Shared memory between kernel mode and user mode with MmAllocatePagesForMdl (Habr)';
const SEED_003 = 'Four-F, KmdTutor "Sharing memory" (SharingMemory), as 应用层与驱动层共享内存应用实例';
const SEED_004 = 'Shared Memory between user and core states through MDL in Windows drivers';

const NONPAGED: ArticleWarning = {
  seed: '003', title: SEED_003,
  quote: 'The routine itself and all memory it touches must be in nonpaged memory.',
  why: 'The article says it of UpdateTime, which TimerRoutine calls at DISPATCH_LEVEL and which writes the shared page: no page fault can be served there, so the page comes from NonPagedPool; paged pool breaks exactly this.',
};

const ENTRIES: readonly Entry[] = [
  { code: 0xc4, p1: 0x7f, scenario: 'sharing-memory', warning: NONPAGED },
  { code: 0xd1, scenario: 'sharing-memory', warning: NONPAGED },
  { code: 0x0a, scenario: 'sharing-memory', warning: NONPAGED },
  {
    code: 0xc4, p1: 0x7f, scenario: 'pool-to-user', warning: {
      seed: '004', title: SEED_004,
      quote: 'If KVA is allocated to the nonpagedpool, the physical pages are locked. Therefore, mmbuildmdlfornonpagedpool is used.',
      why: 'MmBuildMdlForNonPagedPool takes the pages as locked because nonpaged pool is resident; pages of paged pool are not.',
    },
  },
  ...[0xcb, 0x76].map((code): Entry => ({
    code, scenario: 'locked-user-buffer', warning: {
      seed: '004', title: SEED_004,
      quote: 'Remember to set the MDL before the driver unload Unlock and free, otherwise bsod will occur.',
      why: 'MmProbeAndLockPages locked the program\'s pages; without MmUnlockPages (and IoFreeMdl) they stay locked when the process ends.',
    },
  })),
  ...[0x3b, 0x1e, 0x7e].map((code): Entry => ({
    code, scenario: 'sharing-memory', warning: {
      seed: '003', title: SEED_003,
      quote: 'If AccessMode is UserMode and the specified pages cannot be mapped, the routine raises an exception. Callers that specify UserMode must wrap the call to MmMapLockedPagesSpecifyCache in a try/except block.',
      why: 'An exception raised in the driver and not caught there stops the machine.',
    },
  })),
  {
    code: 0xc4, p1: 0x77, warning: {
      seed: '002', title: SEED_002,
      quote: 'It is very important that when mapping the allocated memory to the user address space, we are in the context of the application thread that will manage our driver.',
      why: 'Above APC_LEVEL (a timer, a DPC) the thread is whichever the processor was running: the mapping would land in an arbitrary process.',
    },
  },
  {
    code: 0xc4, p1: 0xb9, warning: {
      seed: '003', title: SEED_003,
      quote: 'If the call to MmMapLockedPages or MmMapLockedPagesSpecifyCache specified user mode, the caller must be in the context of the original process before calling MmUnmapLockedPages.',
      why: 'A user-mode mapping exists only in the process it was made in; unmapping it from another process\'s context names an address that is not that mapping.',
    },
  },
  ...[0x7e].map((code): Entry => ({
    code, scenario: 'section', warning: {
      seed: '000', title: SEED_000,
      quote: 'Since the virtual address received by the driver as a result of mapping falls in the user address space, the driver routine should run in the context of the process to access it.',
      why: 'A view the driver maps is in whichever process it ran in; used from another context, its address names nothing there.',
    },
  })),
  {
    code: 0xc4, p1: 0xf6, scenario: 'kernel-section', warning: {
      seed: '001', title: SEED_001,
      quote: 'Mapping the driver’s view into the system process prevents user-mode applications from tampering with the view and ensures that the driver’s handle is accessible only from kernel mode',
      why: 'A handle of the program\'s, referenced as a kernel handle, is the program\'s to choose: the article keeps the driver\'s handle kernel-only.',
    },
  },
];

/** The seed article's warning about this bug check in this scenario, if one warns about exactly it. */
export function articleWarning(code: number, p1: number, scenario: string | null): ArticleWarning | null {
  const matches = ENTRIES.filter((e) => e.code === code && (e.p1 === undefined || e.p1 === p1) && (e.scenario === undefined || e.scenario === scenario));
  matches.sort((a, b) => Number(b.scenario !== undefined) + Number(b.p1 !== undefined) - Number(a.scenario !== undefined) - Number(a.p1 !== undefined));
  return matches[0]?.warning ?? null;
}
