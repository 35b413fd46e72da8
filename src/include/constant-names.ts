/**
 * Names for the values of a constants module (NTSTATUS, Win32 errors, bug
 * check codes), built on first use from the module's own exports so that no
 * value is written twice. Where two names share a value the alphabetically
 * first wins (STATUS_SUCCESS over STATUS_WAIT_0, ERROR_SUCCESS over NO_ERROR).
 */
export function constantNamer(module: object): (value: number) => string {
  let names: Map<number, string> | undefined;
  return (value: number): string => {
    if (!names) {
      names = new Map();
      for (const [key, v] of Object.entries(module).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        if (typeof v === 'number' && !names.has(v)) names.set(v, key);
      }
    }
    const u = value >>> 0;
    return names.get(u) ?? `0x${u.toString(16).toUpperCase().padStart(8, '0')}`;
  };
}
