import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";

/**
 * A seeded PRNG stream (pure-rand's xoroshiro128+). Every random choice in a run comes from
 * a stream derived from the run seed, so the same seed gives the same run.
 */
export class Rng {
  readonly #generator: RandomGenerator;

  constructor(seed: number) {
    this.#generator = xoroshiro128plus(seed | 0);
  }

  /** An independent stream for a named purpose (a thread, the stray injector...). */
  static derive(seed: number, stream: number): Rng {
    // Mix the stream id into the seed with a 32-bit multiplicative hash.
    return new Rng(
      (Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(stream + 1, 0x85ebca6b)) | 0,
    );
  }

  /** Uniform integer in [low, high]. */
  int(low: number, high: number): number {
    return uniformInt(this.#generator, low, high);
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return uniformFloat64(this.#generator);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** A uniformly chosen element. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }
}
