/**
 * Carves the machine's per-page chunks out of larger slabs. Each `new Uint32Array(512)`
 * is an ArrayBuffer with its own backing store that the collector must track and sweep:
 * about 1.25 us apiece on this project's host, against 0.17 us for a view into a slab
 * (docs/performance.md). A slab belongs to one machine and dies with it, so no state
 * outlives a run and nothing needs resetting.
 */
type Chunk = Uint8Array | Uint32Array;

/**
 * Hands out zeroed chunks of `chunkLength` elements. Slabs start at one chunk and double up
 * to `maxChunksPerSlab`: most runs touch a few chunks, and a full slab per machine would be
 * more zeroing than the chunks it saves.
 */
export class ChunkSlabs<T extends Chunk> {
  readonly #chunkLength: number;
  readonly #maxChunksPerSlab: number;
  readonly #makeSlab: (length: number) => T;
  #slab: T | undefined = undefined;
  #slabChunks = 0;
  #next = 0;

  constructor(chunkLength: number, maxChunksPerSlab: number, makeSlab: (length: number) => T) {
    this.#chunkLength = chunkLength;
    this.#maxChunksPerSlab = maxChunksPerSlab;
    this.#makeSlab = makeSlab;
  }

  /** A fresh zeroed chunk (never handed out before). */
  take(): T {
    if (this.#next === this.#slabChunks) {
      this.#slabChunks = Math.min(Math.max(1, this.#slabChunks * 2), this.#maxChunksPerSlab);
      this.#slab = this.#makeSlab(this.#chunkLength * this.#slabChunks);
      this.#next = 0;
    }
    const start = this.#next++ * this.#chunkLength;
    return (this.#slab as T).subarray(start, start + this.#chunkLength) as T;
  }
}
