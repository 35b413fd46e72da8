/**
 * Hostile JavaScript values, made when an action runs: what a guest written
 * in TypeScript could pass where C would have a number. A value whose
 * coercion throws throws a GuestThrow, the guest's own exception: when it
 * comes back out of a call, the guest threw it; anything else that comes
 * out of a call (a TypeError, a RangeError, an EmulatorError) is the host's.
 */
import type { HostileValue } from './actions.js';

/** What a hostile value of the guest throws when touched. */
export class GuestThrow extends Error {
  override readonly name = 'GuestThrow';
}

const thrower = (): never => {
  throw new GuestThrow('a hostile value was coerced');
};

/** The JavaScript value a HostileValue names (a new object each time). */
export function hostileValue(kind: HostileValue): unknown {
  switch (kind) {
    case 'NaN': return NaN;
    case 'Infinity': return Infinity;
    case '-Infinity': return -Infinity;
    case '-0': return -0;
    case 'fraction': return 4096.5;
    case 'bigint': return 0x1000n;
    case 'hugeBigint': return 2n ** 70n;
    case 'symbol': return Symbol('hostile');
    case 'string': return 'not a number';
    case 'numericString': return '4096';
    case 'null': return null;
    case 'undefined': return undefined;
    case 'object': return { address: 0x1000 };
    case 'array': return [0x1000, 0x2000];
    case 'function': return () => 0x1000;
    case 'throwingValueOf': return { valueOf: thrower, toString: thrower };
    case 'throwingToPrimitive': return { [Symbol.toPrimitive]: thrower };
    case 'proxy': return new Proxy({}, { get: thrower, has: thrower, ownKeys: thrower, getPrototypeOf: thrower, apply: thrower });
    case 'date': return new Date(0);
    case 'true': return true;
  }
}

/** A throwable for a program's end: an Error whose getters throw, a Proxy, a Symbol ... */
export function hostileThrowable(kind: HostileValue | 'error' | 'ntexception' | 'named-emulator-error', make: { ntException: () => unknown }): unknown {
  if (kind === 'error') return new Error('the program failed');
  if (kind === 'named-emulator-error') return Object.assign(new Error('a program threw this'), { name: 'EmulatorError' });
  if (kind === 'ntexception') return make.ntException();
  if (kind === 'object') {
    const e = new Error('hostile');
    Object.defineProperty(e, 'name', { get: thrower });
    Object.defineProperty(e, 'message', { get: thrower });
    return e;
  }
  return hostileValue(kind);
}
