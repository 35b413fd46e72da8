/**
 * DbgPrint's format language (the CRT printf subset drivers use): %d %i %u
 * %x %X %c %s %S %ws %wZ %p %%, with flags, width, and the l/ll/I64/h size
 * prefixes. %p prints a pointer at the architecture's width; %X prints a
 * ULONG, so a 64-bit value passed to it is cut to its low 32 bits, as there.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-dbgprint
 */
export type DbgArg = number | bigint | string | boolean | null | undefined | { toString(): string };

const SPEC = /%([-+ #0]*)(\d+|\*)?(?:\.(\d+))?(hh|h|ll|l|I64|I32|I|w)?([diuxXcsSpZ%])/g;

/**
 * Formats a DbgPrint call's format string and arguments; %p prints `pointerBytes` wide.
 * https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-dbgprint
 */
export function formatDbgPrint(format: string, args: readonly DbgArg[], pointerBytes: 4 | 8): string {
  let next = 0;
  const text = asText(format).replace(SPEC, (_m, flags: string, width: string | undefined, precision: string | undefined, size: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    const w = Math.min(DBGPRINT_MAX, Math.max(0, width === '*' ? Number(toBig(args[next++], false, true)) : width ? Number(width) : 0));
    const arg = args[next++];
    let body: string;
    switch (conv) {
      case 'd': case 'i': body = toBig(arg, wide(size, pointerBytes), true).toString(); break;
      case 'u': body = toBig(arg, wide(size, pointerBytes), false).toString(); break;
      case 'x': case 'X': {
        body = toBig(arg, wide(size, pointerBytes), false).toString(16);
        if (conv === 'X') body = body.toUpperCase();
        if (flags.includes('#') && body !== '0') body = (conv === 'X' ? '0X' : '0x') + body;
        break;
      }
      case 'p': body = canonical(toBig(arg, pointerBytes === 8, false), pointerBytes).toString(16).toUpperCase().padStart(pointerBytes * 2, '0'); break;
      case 'c': body = typeof arg === 'number' ? String.fromCharCode(Number(toBig(arg, false, false) & 0xffffn)) : asText(arg ?? ''); break;
      default: body = arg === null || arg === undefined ? '(null)' : asText(arg);
    }
    if (precision !== undefined && (conv === 's' || conv === 'S' || conv === 'Z')) body = body.slice(0, Number(precision));
    if (body.length < w) {
      const zero = flags.includes('0') && !flags.includes('-') && 'diuxXp'.includes(conv);
      body = flags.includes('-') ? body.padEnd(w) : body.padStart(w, zero ? '0' : ' ');
    }
    return body;
  });
  // "DbgPrint and DbgPrintEx can each transmit at most 512 bytes of information."
  return text.length > DBGPRINT_MAX ? text.slice(0, DBGPRINT_MAX) : text;
}

/** A string argument (or the format) as text; an object whose toString throws or returns no string prints as a placeholder. */
function asText(value: unknown): string {
  try {
    return String(value);
  } catch {
    return '(unprintable)';
  }
}

/** The most one DbgPrint call transmits. */
const DBGPRINT_MAX = 512;

/** Whether a size prefix makes the value 64-bit: ll and I64 always, I (pointer-sized) on x64. */
function wide(size: string | undefined, pointerBytes: 4 | 8): boolean {
  return size === 'll' || size === 'I64' || (size === 'I' && pointerBytes === 8);
}

/**
 * An integer conversion's argument as the register would hold it: a number
 * is the integer it names (a fraction truncated; NaN and ±Infinity, which no
 * C driver can pass, 0), wrapped to the conversion's width. DbgPrint prints
 * whatever it is given and never faults on a number.
 */
function toBig(arg: DbgArg, wide: boolean, signed: boolean): bigint {
  let v: bigint;
  if (typeof arg === 'bigint') v = arg;
  else if (typeof arg === 'number') v = Number.isFinite(arg) ? BigInt(Math.trunc(arg)) : 0n;
  else if (typeof arg === 'boolean') v = arg ? 1n : 0n;
  else v = 0n;
  const bits = wide ? 64 : 32;
  return signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v);
}

/** x64 addresses are 48-bit numbers in ntshm; a pointer prints sign-extended, as the CPU sees it. */
function canonical(v: bigint, pointerBytes: 4 | 8): bigint {
  return pointerBytes === 8 && v >= 1n << 47n && v < 1n << 48n ? v | 0xffff_0000_0000_0000n : v;
}
