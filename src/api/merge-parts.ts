/**
 * `nt` and `k32` are built from parts (a file per family of routines). One
 * object literal with a dozen spreads among hundreds of properties costs V8
 * about two milliseconds per object, paid at every driver load and thread
 * start; Object.assign over the parts, then one switch back to fast
 * properties, costs about a quarter of that or less.
 */

/** The intersection of a union's members (what merging the parts gives). */
type Merged<T> = (T extends unknown ? (x: T) => void : never) extends (x: infer I) => void ? I : never;

/** Object.assign over every part, later parts over earlier ones, typed as all of them together. */
export function mergeParts<T extends object[]>(...parts: T): Merged<T[number]> {
  const merged = Object.assign({}, ...parts) as Merged<T[number]>;
  MiFastProperties(merged as object);
  return merged;
}

/**
 * An object given hundreds of properties one by one is left in dictionary
 * mode, where every `k32.getUint32` is a hash lookup (about 10 ns). V8 turns
 * an object back into fast properties when it becomes a prototype: this does
 * that once, at creation.
 */
function MiFastProperties(o: object): void {
  const holder = Object.create(o) as object;
  void Reflect.getPrototypeOf(holder);
}
