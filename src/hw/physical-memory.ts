/**
 * Physical memory: one SharedArrayBuffer cut into 4 KiB frames.
 *
 * Everything the machine keeps "in RAM" lives here: page tables, pool, user
 * pages, KUSER_SHARED_DATA. Two virtual addresses share memory exactly when
 * their PTEs name the same frame of this buffer.
 */
import { EmulatorError } from '../include/errors.js';
import { PAGE_MASK, PAGE_SHIFT, PAGE_SIZE } from '../include/page.js';

export { PAGE_MASK, PAGE_SHIFT, PAGE_SIZE };

/** A physical address beyond the installed frames: a bug in the emulator, never in a guest. */
export class PhysicalAddressError extends EmulatorError {
  override readonly name = 'PhysicalAddressError';
  constructor(readonly pa: number) {
    super(`physical address 0x${pa.toString(16)} is outside installed memory`);
  }
}

/** The machine's RAM: one SharedArrayBuffer of 4 KiB frames, with byte, 32-bit and DataView views. */
export class PhysicalMemory {
  readonly buffer: SharedArrayBuffer;
  readonly u8: Uint8Array;
  readonly u32: Uint32Array;
  readonly view: DataView;
  readonly frameCount: number;

  constructor(readonly sizeBytes: number) {
    if (sizeBytes <= 0 || sizeBytes % PAGE_SIZE !== 0) throw new RangeError(`memory size ${sizeBytes} is not a positive multiple of ${PAGE_SIZE}`);
    this.buffer = new SharedArrayBuffer(sizeBytes);
    this.u8 = new Uint8Array(this.buffer);
    this.u32 = new Uint32Array(this.buffer);
    this.view = new DataView(this.buffer);
    this.frameCount = sizeBytes / PAGE_SIZE;
  }

  /** Reads a little-endian 32-bit value; page-table walks use this with aligned addresses. */
  read32(pa: number): number {
    if ((pa & 3) === 0) {
      const v = this.u32[pa >>> 2];
      if (v === undefined) throw new PhysicalAddressError(pa);
      return v;
    }
    return this.view.getUint32(pa, true);
  }

  write32(pa: number, value: number): void {
    if ((pa & 3) === 0 && pa < this.sizeBytes) this.u32[pa >>> 2] = value;
    else this.view.setUint32(pa, value, true);
  }

  zeroFrame(pfn: number): void {
    const base = pfn * PAGE_SIZE;
    this.u32.fill(0, base >>> 2, (base + PAGE_SIZE) >>> 2);
  }

  /** Copies a whole frame: used when a page must be duplicated, never to fake a mapping. */
  copyFrame(fromPfn: number, toPfn: number): void {
    const from = fromPfn * PAGE_SIZE;
    this.u8.copyWithin(toPfn * PAGE_SIZE, from, from + PAGE_SIZE);
  }
}
