/**
 * The guest-memory views (kernel mode, user mode, and each program thread's
 * own) and the page-table observer that keeps their page caches true: a new
 * mapping, a TLB shootdown or a context switch makes every cache above the
 * MMU forget what it knew.
 */
import type { Mmu } from '../../hw/mmu.js';
import type { KThread } from '../ke/thread.js';
import { GuestMemory } from './access.js';
import type { MmContext } from './context.js';
import type { Mapping, PageTableObserver } from './page-tables.js';

/**
 * Guest memory in kernel mode: GuestMemory under a hidden class (V8 map) of
 * its own. V8 types each field of a map by what it has held: kernel
 * addresses lie at or above 2^31 on both architectures, and once a kernel
 * page address (a double) was stored in a page cache of a map shared with
 * the user views, every view's cache field was a boxed double, and each
 * user access compared it in floating point (x86 setUint32 4.9× the host's
 * loop instead of 3×, or not, depending on what ran first in the process).
 * Apart, the user views' caches hold small integers (user addresses below
 * 2^31), and the kernel's view alone pays for its doubles.
 */
export class KernelGuestMemory extends GuestMemory {
  constructor(k: MmContext) {
    super(k, false);
  }
}

/** The machine's guest-memory views, and the observer of page-table changes that invalidates their caches. */
export class TranslationCaches implements PageTableObserver {
  /** Memory as kernel-mode code sees it (through the current CPU's MMU). */
  readonly kernelMemory: GuestMemory;
  /** Memory as user-mode code sees it. */
  readonly userMemory: GuestMemory;
  /** Each program thread's own view (see `userMemoryOf`). */
  private readonly threadViews = new Map<KThread, GuestMemory>();
  /** Told of every new mapping of a frame (the sharing recorder). */
  readonly mapListeners: ((pfn: number, mapping: Mapping) => void)[] = [];

  constructor(k: MmContext, private readonly mmus: () => readonly Mmu[]) {
    this.kernelMemory = new KernelGuestMemory(k);
    this.userMemory = new GuestMemory(k, true);
    this.k = k;
  }

  private readonly k: MmContext;

  /**
   * User-mode memory as one program thread sees it: it may touch memory only
   * while it holds a CPU (a program that awaits something other than a
   * kernel call must not read whichever address space runs then).
   */
  userMemoryOf(thread: KThread): GuestMemory {
    let m = this.threadViews.get(thread);
    if (!m) this.threadViews.set(thread, (m = new GuestMemory(this.k, true, thread)));
    return m;
  }

  /** Drops a dead thread's view. */
  releaseUserMemory(thread: KThread): void {
    this.threadViews.delete(thread);
  }

  /** Drops the guest-memory page caches (they sit above the MMU's and follow its invalidations). */
  forget(): void {
    this.kernelMemory.forget();
    this.userMemory.forget();
    for (const m of this.threadViews.values()) m.forget();
  }

  onMap(pfn: number, mapping: Mapping): void {
    // A new mapping may make a page user-visible, which changes what kernel writes to it must report.
    this.forget();
    for (const l of this.mapListeners) l(pfn, mapping);
  }

  onUnmap(): void {}

  /** TLB shootdown: every CPU forgets the page. */
  invalidate(va: number): void {
    this.forget();
    for (const mmu of this.mmus()) mmu.invalidatePage(va);
  }
}
