/**
 * Looking at a value guest code threw, safely. A program or driver may throw
 * anything: null, a Symbol, a bigint, an Error whose `name` getter throws, a
 * Proxy whose every trap throws (then even `instanceof` throws, since it
 * reads the prototype chain). Whoever inspects a thrown value uses these,
 * so that the inspection can never throw in its turn.
 */

/** `value instanceof C`, false when the value's prototype chain cannot be read. */
export function isThrownInstance<T>(value: unknown, C: abstract new (...args: never[]) => T): value is T {
  try {
    return value instanceof C;
  } catch {
    return false;
  }
}

/** Reads one property of a thrown value; `fallback` when reading it throws. */
export function readThrown(read: () => unknown, fallback: unknown): unknown {
  try {
    return read();
  } catch {
    return fallback;
  }
}

/** Text for a thrown value: `Name: message` for an Error, `String(value)` otherwise, a fixed phrase when neither can be read. */
export function describeThrown(value: unknown): string {
  const text = (v: unknown): string | undefined => {
    try {
      return typeof v === 'string' ? v : typeof v === 'bigint' ? `${v}n` : String(v);
    } catch {
      return undefined;
    }
  };
  if (isThrownInstance(value, Error)) {
    const name = text(readThrown(() => value.name, 'Error')) ?? 'Error';
    const message = text(readThrown(() => value.message, '')) ?? '';
    return message ? `${name}: ${message}` : name;
  }
  return text(value) ?? 'a value that cannot be read';
}

/** An Error's message (its description when it has none that can be read); describeThrown for any other value. */
export function messageOfThrown(value: unknown): string {
  if (!isThrownInstance(value, Error)) return describeThrown(value);
  const message = readThrown(() => String(value.message), '');
  return typeof message === 'string' && message !== '' ? message : describeThrown(value);
}

/**
 * A number as a 32-bit register would hold it (UINT, NTSTATUS): wrapped as
 * `>>> 0` wraps it, a bigint by its low 32 bits. An object or a Symbol is 0:
 * converting it would run guest code (`valueOf`) that may throw.
 */
export function toUint32(value: unknown): number {
  if (typeof value === 'bigint') return Number(BigInt.asUintN(32, value));
  if (typeof value === 'object' && value !== null) return 0;
  if (typeof value === 'symbol' || typeof value === 'function') return 0;
  return Number(value) >>> 0;
}
