/**
 * The commit state of a VAD's pages: a protection per page (0 = reserved,
 * not committed), kept as runs so that a reservation of terabytes costs as
 * little as one of a page, as Windows' VAD-plus-PTE scheme does.
 */
export interface ProtectionRun {
  /** First page index of the run and one past its last. */
  start: number;
  end: number;
  protect: number;
}

/** The per-page protections of one VAD, kept as runs (0 = reserved, not committed). */
export class PageProtections {
  /** Sorted, adjacent, covering [0, pages); neighbours never share a protection. */
  private runs: ProtectionRun[];

  constructor(readonly pages: number, protect: number) {
    this.runs = [{ start: 0, end: pages, protect }];
  }

  private indexOf(page: number): number {
    let lo = 0;
    let hi = this.runs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.runs[mid]!.start <= page) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The run that holds `page`. */
  runAt(page: number): ProtectionRun {
    return this.runs[this.indexOf(page)]!;
  }

  get(page: number): number {
    return this.runAt(page).protect;
  }

  /** Sets pages [start, end) to `protect`. */
  set(start: number, end: number, protect: number): void {
    if (start >= end) return;
    const next: ProtectionRun[] = [];
    for (const r of this.runs) {
      if (r.end <= start || r.start >= end) next.push(r);
      else {
        if (r.start < start) next.push({ start: r.start, end: start, protect: r.protect });
        if (r.end > end) next.push({ start: end, end: r.end, protect: r.protect });
      }
    }
    next.push({ start, end, protect });
    next.sort((a, b) => a.start - b.start);
    const merged: ProtectionRun[] = [];
    for (const r of next) {
      const last = merged[merged.length - 1];
      if (last && last.protect === r.protect && last.end === r.start) last.end = r.end;
      else merged.push({ ...r });
    }
    this.runs = merged;
  }

  /** How many pages of [start, end) are committed (the commit charge they hold). */
  committed(start: number, end: number): number {
    let n = 0;
    for (let i = this.indexOf(start); i < this.runs.length && this.runs[i]!.start < end; i++) {
      const r = this.runs[i]!;
      if (r.protect !== 0) n += Math.min(r.end, end) - Math.max(r.start, start);
    }
    return n;
  }

  /** Whether every page in [start, end) satisfies `test`. */
  every(start: number, end: number, test: (protect: number) => boolean): boolean {
    for (let i = this.indexOf(start); i < this.runs.length && this.runs[i]!.start < end; i++) {
      if (!test(this.runs[i]!.protect)) return false;
    }
    return true;
  }
}
