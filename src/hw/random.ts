/**
 * The machine's seeded random source (xorshift32): the only randomness a run
 * has, so that the same seed gives the same run.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    // xorshift needs a nonzero state; mixing keeps every seed distinct (0 included).
    this.state = ((seed ^ 0x9e3779b9) >>> 0) || 1;
  }

  /** Fills `count` words from `start` with the next values, as `count` calls of nextUint32 would (one loop, the state in a local). */
  fill(words: Uint32Array, start: number, count: number): void {
    let x = this.state;
    for (let i = start, end = start + count; i < end; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      words[i] = x;
    }
    this.state = x;
  }

  nextUint32(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return this.nextUint32() % n;
  }
}
