/**
 * Names for the values of a constants module (NTSTATUS, Win32 errors, bug
 * check codes, IRP major functions), built on first use from the module's
 * own exports so that no value is written twice. Where two names share a
 * value the alphabetically first wins (STATUS_SUCCESS over STATUS_WAIT_0,
 * ERROR_SUCCESS over NO_ERROR).
 */
export function constantNamer(
  module: object,
  /** Which exports are names of this kind (for a module that holds several kinds); all by default. */
  include: (key: string) => boolean = () => true,
  /** Hex digits of the form an unnamed value prints as (8: '0x0000FFFF'). */
  digits = 8,
): (value: number) => string {
  let names: Map<number, string> | undefined;
  return (value: number): string => {
    if (!names) {
      names = new Map();
      for (const [key, v] of Object.entries(module).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        if (typeof v === 'number' && include(key) && !names.has(v)) names.set(v, key);
      }
    }
    const u = value >>> 0;
    return names.get(u) ?? hex(u, digits);
  };
}

/** A value as ntshm's messages print it: '0x' and upper-case hex digits, at least `digits` of them ('0xC0000005'). */
export function hex(value: number, digits = 8): string {
  return `0x${(value >>> 0).toString(16).toUpperCase().padStart(digits, '0')}`;
}
