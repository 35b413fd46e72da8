/**
 * Copies within physical memory (GuestMemory.copy, once both ranges are
 * translated): the I/O manager's SystemBuffer copies go through here on
 * every METHOD_BUFFERED request.
 */

/** Below this many bytes a copy moves words itself: copyWithin's call into the runtime costs more (some 20 ns). */
const SMALL_COPY = 256;

/**
 * memmove within physical memory: a short copy of whole aligned words that
 * do not overlap word by word, anything else by copyWithin (which also
 * handles two virtual ranges that share a frame).
 */
export function copyPhysical(u8: Uint8Array, u32: Uint32Array, to: number, from: number, length: number): void {
  if (length <= SMALL_COPY && ((to | from | length) & 3) === 0 && (to + length <= from || from + length <= to)) {
    for (let i = from >>> 2, j = to >>> 2, end = (from + length) >>> 2; i < end; i++, j++) u32[j] = u32[i]!;
    return;
  }
  u8.copyWithin(to, from, from + length);
}
