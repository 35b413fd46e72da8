/**
 * The host's own stack overflow. Guest code shares the host's JS stack, so
 * unbounded recursion in a driver or a program ends in the engine's error,
 * not in a guard page: V8 and JavaScriptCore throw a RangeError "Maximum
 * call stack size exceeded", SpiderMonkey an InternalError "too much
 * recursion". Recognised by class and message, since it is the engine's
 * error, never one ntshm throws; a guest that throws the same thing itself
 * asks for the same outcome. Never throws, whatever it is given.
 */
export function isHostStackOverflow(e: unknown): boolean {
  try {
    if (e instanceof RangeError) return /call stack/i.test(e.message);
    // SpiderMonkey's InternalError has no global in other engines: known by its name alone.
    return e instanceof Error && e.name === 'InternalError' && /too much recursion/i.test(e.message);
  } catch {
    return false; // a getter that throws: a guest's object, not the engine's error
  }
}
