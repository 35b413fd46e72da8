/**
 * A locked read-modify-write: what an Interlocked routine compiles to (a
 * LOCK-prefixed XADD, XCHG, CMPXCHG or CMPXCHG8B, or a LOCK CMPXCHG loop for
 * And/Or/Xor), done on the physical frame the virtual address translates to.
 *
 * An aligned operand is done with `Atomics` on the SharedArrayBuffer behind
 * physical memory: one 4- or 8-byte access, never two halves (a 64-bit
 * interlocked on x86 is one CMPXCHG8B). A misaligned operand is still one
 * locked access on x86 and x64 (a "split lock" when it crosses a cache line:
 * slow, but atomic); ntshm does it byte-wise, with no charge and so no
 * interrupt between the read and the write, which on its single host thread
 * is atomic to everything in the machine. An operand that crosses a page has
 * both pages translated for a write before any byte is read (GuestMemory.
 * interlocked), so it is never torn either (docs/fidelity.md, "Interlocked
 * operations").
 * https://learn.microsoft.com/windows/win32/sync/interlocked-variable-access
 */

/** The read-modify-write an Interlocked routine performs. */
export type LockedOperation = 'exchange' | 'add' | 'compareExchange' | 'and' | 'or' | 'xor';

/** The 64-bit view of a physical memory buffer, made once per machine. */
const views64 = new WeakMap<SharedArrayBuffer, BigInt64Array>();
const views32 = new WeakMap<SharedArrayBuffer, Int32Array>();

function view64(buffer: SharedArrayBuffer): BigInt64Array {
  let v = views64.get(buffer);
  if (!v) views64.set(buffer, (v = new BigInt64Array(buffer)));
  return v;
}

function view32(buffer: SharedArrayBuffer): Int32Array {
  let v = views32.get(buffer);
  if (!v) views32.set(buffer, (v = new Int32Array(buffer)));
  return v;
}

/** The new value of a read-modify-write, as `size` bytes, unsigned. */
function MiLockedResult(op: LockedOperation, initial: bigint, operand: bigint, comparand: bigint, bits: number): bigint {
  switch (op) {
    case 'exchange': return BigInt.asUintN(bits, operand);
    case 'add': return BigInt.asUintN(bits, initial + operand);
    case 'compareExchange': return initial === BigInt.asUintN(bits, comparand) ? BigInt.asUintN(bits, operand) : initial;
    case 'and': return BigInt.asUintN(bits, initial & operand);
    case 'or': return BigInt.asUintN(bits, initial | operand);
    case 'xor': return BigInt.asUintN(bits, initial ^ operand);
  }
}

/**
 * Performs `op` on the `size` bytes whose physical addresses are `pa` (the
 * first byte) and, when the operand crosses a page, `secondPa` (the first
 * byte of the next page; -1 otherwise). Returns the initial value, unsigned.
 */
export function MiLockedOperation(buffer: SharedArrayBuffer, pa: number, secondPa: number, size: 4 | 8,
  op: LockedOperation, operand: bigint, comparand: bigint): bigint {
  const bits = size * 8;
  if (secondPa < 0 && pa % size === 0) {
    if (size === 8) return BigInt.asUintN(64, MiAtomic64(view64(buffer), pa / 8, op, BigInt.asIntN(64, operand), BigInt.asIntN(64, comparand)));
    return BigInt(MiAtomic32(view32(buffer), pa / 4, op, Number(BigInt.asIntN(32, operand)), Number(BigInt.asIntN(32, comparand))) >>> 0);
  }
  // Misaligned, or split across two pages: byte-wise, with nothing between the read and the write.
  const u8 = new Uint8Array(buffer);
  const at = (i: number): number => (secondPa >= 0 && (pa & 0xfff) + i >= 0x1000 ? secondPa + ((pa & 0xfff) + i - 0x1000) : pa + i);
  let initial = 0n;
  for (let i = size - 1; i >= 0; i--) initial = (initial << 8n) | BigInt(u8[at(i)]!);
  const result = MiLockedResult(op, initial, operand, comparand, bits);
  if (result !== initial) for (let i = 0; i < size; i++) u8[at(i)] = Number((result >> BigInt(8 * i)) & 0xffn);
  return initial;
}

function MiAtomic32(a: Int32Array, index: number, op: LockedOperation, operand: number, comparand: number): number {
  switch (op) {
    case 'exchange': return Atomics.exchange(a, index, operand);
    case 'add': return Atomics.add(a, index, operand);
    case 'compareExchange': return Atomics.compareExchange(a, index, comparand, operand);
    case 'and': return Atomics.and(a, index, operand);
    case 'or': return Atomics.or(a, index, operand);
    case 'xor': return Atomics.xor(a, index, operand);
  }
}

function MiAtomic64(a: BigInt64Array, index: number, op: LockedOperation, operand: bigint, comparand: bigint): bigint {
  switch (op) {
    case 'exchange': return Atomics.exchange(a, index, operand);
    case 'add': return Atomics.add(a, index, operand);
    case 'compareExchange': return Atomics.compareExchange(a, index, comparand, operand);
    case 'and': return Atomics.and(a, index, operand);
    case 'or': return Atomics.or(a, index, operand);
    case 'xor': return Atomics.xor(a, index, operand);
  }
}
