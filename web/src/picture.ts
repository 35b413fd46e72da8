/**
 * The memory picture on a canvas: one column per process (its user range,
 * then the kernel range, whose pages are drawn once, in System's column), a
 * strip of physical frames, and a line from every mapped page to its frame.
 * A frame mapped more than once is hatched and labelled ×N, so that the
 * sharing does not rest on colour. Canvas, not SVG: thousands of pages stay
 * smooth. Hit-testing gives the page or frame under the pointer.
 */
import type { MemoryMap, MemoryMapFrame, MemoryMapPage, MemoryMapProcess } from 'ntshm';

/** What the pointer is on. */
export type Target =
  | { kind: 'page'; process: MemoryMapProcess; page: MemoryMapPage }
  | { kind: 'frame'; frame: MemoryMapFrame };

interface Box { x: number; y: number; w: number; h: number; target: Target }

const COLORS = { user: '#e8f0fe', kernel: '#fdf2e0', page: '#3367d6', kernelPage: '#b06000', line: 'rgba(80,80,80,0.35)', shared: '#c5221f', text: '#202124', frame: '#5f6368' };

/** The hatch that marks a frame mapped more than once (its pattern carries the meaning, with its ×N label). */
function hatch(ctx: CanvasRenderingContext2D): CanvasPattern | string {
  const tile = document.createElement('canvas');
  tile.width = tile.height = 6;
  const t = tile.getContext('2d');
  if (!t) return COLORS.shared;
  t.fillStyle = '#fff';
  t.fillRect(0, 0, 6, 6);
  t.strokeStyle = COLORS.shared;
  t.lineWidth = 2;
  t.beginPath();
  t.moveTo(0, 6);
  t.lineTo(6, 0);
  t.stroke();
  return ctx.createPattern(tile, 'repeat') ?? COLORS.shared;
}

/** Draws a memory map and answers what is at a point. */
export class MemoryPicture {
  private boxes: Box[] = [];
  private map: MemoryMap | undefined;
  selected: Target | undefined;
  /** What the chosen finding points at: outlined dashed, with a "finding" tag. */
  highlight: { pages: Set<string>; frames: Set<number> } | undefined;

  constructor(private readonly canvas: HTMLCanvasElement) {}

  draw(map: MemoryMap): void {
    this.map = map;
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    const { width: W, height: H } = this.canvas;
    ctx.clearRect(0, 0, W, H);
    ctx.font = '12px system-ui, sans-serif';
    this.boxes = [];
    const frames = new Map(map.frames.map((f) => [f.pfn, f]));
    const stripTop = H - 80;
    const stripX = 20;
    const stripW = W - 40;
    // Frames in use, side by side in PFN order: to scale they would all sit in one corner of physical memory.
    const slot = Math.min(16, stripW / Math.max(1, map.frames.length));
    const rank = new Map(map.frames.map((f, i) => [f.pfn, i]));
    const frameX = (pfn: number) => stripX + ((rank.get(pfn) ?? 0) + 0.5) * slot;
    const columns = map.processes;
    const colW = Math.min(240, (W - 20) / Math.max(1, columns.length));
    const lines: { x1: number; y1: number; x2: number; shared: boolean }[] = [];
    columns.forEach((p, i) => {
      const x = 10 + i * colW;
      const w = colW - 20;
      ctx.fillStyle = COLORS.text;
      ctx.fillText(`${p.name} (pid ${p.pid})`, x, 16, w);
      const userTop = 26;
      const kernelTop = 26 + (stripTop - 60) * 0.55;
      const bottom = stripTop - 30;
      this.range(ctx, x, userTop, w, kernelTop - userTop - 8, COLORS.user, 'user range');
      this.range(ctx, x, kernelTop, w, bottom - kernelTop, COLORS.kernel, p.system ? 'kernel range' : 'kernel range (shared: see System)');
      const user = p.pages.filter((pg) => pg.user);
      const kernel = p.system ? p.pages.filter((pg) => !pg.user) : [];
      const rows = this.pages(ctx, p, user, x + 8, userTop + 18, w - 16, kernelTop - userTop - 30, COLORS.page, frames, frameX, lines);
      this.vads(ctx, p, user, x + 2, rows);
      this.pages(ctx, p, kernel, x + 8, kernelTop + 18, w - 16, bottom - kernelTop - 22, COLORS.kernelPage, frames, frameX, lines);
    });
    // Lines under the strip's frames, the shared ones last (on top) and heavier.
    for (const shared of [false, true]) {
      ctx.strokeStyle = shared ? COLORS.shared : COLORS.line;
      ctx.lineWidth = shared ? 2 : 1;
      ctx.setLineDash(shared ? [] : [4, 3]);
      for (const l of lines.filter((l) => l.shared === shared)) {
        ctx.beginPath();
        ctx.moveTo(l.x1, l.y1);
        ctx.bezierCurveTo(l.x1 + 30, l.y1, l.x2, stripTop - 40, l.x2, stripTop);
        ctx.stroke();
      }
    }
    ctx.setLineDash([]);
    // The strip: all of physical memory, the frames in use marked.
    ctx.fillStyle = '#f1f3f4';
    ctx.fillRect(stripX, stripTop, stripW, 30);
    ctx.strokeStyle = COLORS.frame;
    ctx.strokeRect(stripX, stripTop, stripW, 30);
    ctx.fillStyle = COLORS.text;
    const locked = map.frames.filter((f) => f.lockCount > 0).length;
    ctx.fillText(`physical memory: the ${map.frames.length} frames mapped or locked now${locked ? ` (${locked} locked by an MDL: green, with a clasp)` : ''}, in PFN order (of ${map.frameCount}; ${map.freeFrames} free)`, stripX, H - 4);
    this.describe(map, locked);
    const pattern = hatch(ctx);
    const labelEnds = [0, 0];
    for (const f of map.frames) {
      const fx = frameX(f.pfn);
      const shared = f.shareCount > 1;
      const fw = Math.max(2, slot - 2);
      const box = { x: fx - fw / 2, y: shared ? stripTop - 12 : stripTop, w: fw, h: shared ? 42 : 30, target: { kind: 'frame', frame: f } as Target };
      ctx.fillStyle = shared ? pattern : f.lockCount > 0 ? '#1e8e3e' : COLORS.frame;
      ctx.fillRect(box.x, box.y, box.w, box.h);
      if (f.lockCount > 0) {
        // Locked by an MDL: a black-edged white clasp across the frame, not the colour alone.
        ctx.fillStyle = '#fff';
        ctx.fillRect(box.x, box.y + box.h / 2 - 3, box.w, 6);
        ctx.strokeStyle = '#000';
        ctx.strokeRect(box.x, box.y + box.h / 2 - 3, box.w, 6);
      }
      if (shared) {
        ctx.strokeStyle = COLORS.shared;
        ctx.strokeRect(box.x, box.y, box.w, box.h);
        ctx.fillStyle = COLORS.text;
        // Two rows of labels; a label that fits in neither is shortened to ×N, or left to the hatch and the list.
        for (const text of [`×${f.shareCount} pfn ${f.pfn.toString(16)}`, `×${f.shareCount}`]) {
          const row = labelEnds.findIndex((end) => end <= box.x);
          if (row < 0) continue;
          ctx.fillText(text, box.x, stripTop + 42 + row * 13);
          labelEnds[row] = box.x + ctx.measureText(text).width + 4;
          break;
        }
      }
      this.boxes.push(box);
    }
    this.outlineHighlighted(ctx);
    this.outlineSelected(ctx);
  }

  /** The canvas's accessible name says what it shows now, in numbers (the list under it names the shared frames). */
  private describe(map: MemoryMap, locked: number): void {
    const shared = map.frames.filter((f) => f.shareCount > 1).length;
    const pages = map.processes.reduce((n, p) => n + p.pages.length, 0);
    this.canvas.setAttribute('aria-label', `Memory picture: ${map.processes.length} process(es) (${map.processes.map((p) => p.name).join(', ')}), ${pages} mapped page(s), ${map.frames.length} frame(s) in use: ${shared} mapped more than once, ${locked} locked by an MDL. Arrow keys walk the pages and frames; the details show under it.`);
  }

  private outlineHighlighted(ctx: CanvasRenderingContext2D): void {
    const h = this.highlight;
    if (!h) return;
    ctx.strokeStyle = '#000';
    ctx.lineWidth = 2;
    ctx.setLineDash([3, 2]);
    for (const b of this.boxes) {
      const t = b.target;
      const hit = t.kind === 'frame' ? h.frames.has(t.frame.pfn) : h.pages.has(`${t.process.pid}:${t.page.va}`);
      if (!hit) continue;
      ctx.strokeRect(b.x - 3, b.y - 3, b.w + 6, b.h + 6);
      ctx.fillStyle = '#000';
      if (t.kind === 'page') ctx.fillText('◀ finding', b.x + b.w + 6, b.y + b.h / 2 + 4);
    }
    ctx.setLineDash([]);
    ctx.lineWidth = 1;
  }

  private range(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, fill: string, label: string): void {
    ctx.fillStyle = fill;
    ctx.fillRect(x, y, w, h);
    ctx.strokeStyle = '#dadce0';
    ctx.strokeRect(x, y, w, h);
    ctx.fillStyle = COLORS.text;
    ctx.fillText(label, x + 4, y + 13, w - 8);
  }

  /** Pages in address order, one row each (addresses far apart are not drawn to scale: the ranges are 128 TB). */
  private pages(
    ctx: CanvasRenderingContext2D, process: MemoryMapProcess, pages: MemoryMapPage[], x: number, y: number, w: number, h: number, color: string,
    frames: Map<number, MemoryMapFrame>, frameX: (pfn: number) => number, lines: { x1: number; y1: number; x2: number; shared: boolean }[],
  ): { y: number; rowH: number } {
    if (pages.length === 0) return { y, rowH: 0 };
    const rowH = Math.max(2, Math.min(14, h / pages.length));
    pages.forEach((page, i) => {
      const py = y + i * rowH;
      const shared = (frames.get(page.pfn)?.shareCount ?? 0) > 1;
      ctx.fillStyle = color;
      ctx.fillRect(x, py, w, Math.max(1, rowH - 1));
      if (rowH >= 11) {
        ctx.fillStyle = '#fff';
        ctx.fillText(`${page.vaText}${shared ? '  (shared)' : ''}`, x + 3, py + rowH - 3, w - 6);
      }
      this.boxes.push({ x, y: py, w, h: rowH, target: { kind: 'page', process, page } });
      lines.push({ x1: x + w, y1: py + rowH / 2, x2: frameX(page.pfn), shared });
    });
    return { y, rowH };
  }

  /**
   * The VADs (the ranges the process reserved) that hold mapped pages: a bar
   * in the user range's left margin spanning their pages' rows, a tick at
   * each end, so that pages of one VAD read as one block (a mapped MDL's 16
   * pages, a view). Hovering a page names its VAD.
   */
  private vads(ctx: CanvasRenderingContext2D, process: MemoryMapProcess, pages: MemoryMapPage[], x: number, rows: { y: number; rowH: number }): void {
    ctx.strokeStyle = COLORS.text;
    ctx.lineWidth = 2;
    for (const vad of process.vads) {
      const inside = pages.flatMap((p, i) => (p.va >= vad.start && p.va < vad.end ? [i] : []));
      if (inside.length === 0) continue;
      const top = rows.y + inside[0]! * rows.rowH + 1;
      const bottom = rows.y + (inside[inside.length - 1]! + 1) * rows.rowH - 2;
      ctx.beginPath();
      ctx.moveTo(x + 4, top);
      ctx.lineTo(x, top);
      ctx.lineTo(x, bottom);
      ctx.lineTo(x + 4, bottom);
      ctx.stroke();
    }
    ctx.lineWidth = 1;
  }

  private outlineSelected(ctx: CanvasRenderingContext2D): void {
    const s = this.selected;
    if (!s) return;
    const box = this.boxes.find((b) => same(b.target, s));
    if (!box) return;
    ctx.strokeStyle = '#000';
    ctx.lineWidth = 3;
    ctx.strokeRect(box.x - 2, box.y - 2, box.w + 4, box.h + 4);
    ctx.lineWidth = 1;
  }

  /** The page or frame at canvas coordinates, frames first (they are small). */
  at(x: number, y: number): Target | undefined {
    const hit = (b: Box) => x >= b.x - 2 && x <= b.x + b.w + 2 && y >= b.y && y <= b.y + b.h;
    return (this.boxes.find((b) => b.target.kind === 'frame' && hit(b)) ?? this.boxes.find(hit))?.target;
  }

  /** Every target, in drawing order (the keyboard walks them). */
  targets(): Target[] {
    return this.boxes.map((b) => b.target);
  }

  redraw(): void {
    if (this.map) this.draw(this.map);
  }
}

/** Two targets name the same page or frame. */
export function same(a: Target, b: Target): boolean {
  if (a.kind === 'frame' && b.kind === 'frame') return a.frame.pfn === b.frame.pfn;
  if (a.kind === 'page' && b.kind === 'page') return a.process.pid === b.process.pid && a.page.va === b.page.va;
  return false;
}
