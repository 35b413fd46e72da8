/** A pool tag as a driver writes it: a ULONG, or up to four characters ('Tag1' is stored little-endian, as the C literal). */
export type PoolTag = number | string;

/** The ULONG a tag stands for. */
export const tagValue = (tag: PoolTag): number =>
  typeof tag === 'number' ? tag >>> 0 : [...tag.padEnd(4).slice(0, 4)].reduce((v, c, i) => v + c.charCodeAt(0) * 2 ** (8 * i), 0);
