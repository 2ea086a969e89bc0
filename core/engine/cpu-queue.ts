/**
 * The simulated-time order of the CPUs that still have work (the scheduler's queue).
 *
 * @packageDocumentation
 */

/**
 * The CPUs that still have work, ordered by simulated clock, then by when they joined (the
 * order a Set would iterate them in). A binary heap whose keys may lag behind the clocks:
 * clocks only move forward, so a key is never above its CPU's clock, and `earliest` brings
 * stale keys at the top up to date until the top is current. Choosing the next CPU is
 * O(log CPUs) instead of a scan of every CPU per operation.
 */
export class CpuQueue {
  readonly #clock: Float64Array;
  readonly #heap: Int32Array;
  readonly #key: Float64Array;
  readonly #seq: Float64Array;
  readonly #member: Uint8Array;
  #joined = 0;
  size = 0;

  constructor(cpus: number, clock: Float64Array) {
    this.#clock = clock;
    this.#heap = new Int32Array(cpus);
    this.#key = new Float64Array(cpus);
    this.#seq = new Float64Array(cpus);
    this.#member = new Uint8Array(cpus);
  }

  #before(a: number, b: number): boolean {
    const ka = this.#key[a];
    const kb = this.#key[b];
    return ka < kb || (ka === kb && this.#seq[a] < this.#seq[b]);
  }

  #down(at: number): void {
    const heap = this.#heap;
    const cpu = heap[at];
    const size = this.size;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= size) break;
      if (child + 1 < size && this.#before(heap[child + 1], heap[child])) child++;
      if (!this.#before(heap[child], cpu)) break;
      heap[at] = heap[child];
      at = child;
    }
    heap[at] = cpu;
  }

  /** Adds `cpu` (no-op when it is already in). */
  add(cpu: number): void {
    if (this.#member[cpu]) return;
    this.#member[cpu] = 1;
    this.#key[cpu] = this.#clock[cpu];
    this.#seq[cpu] = this.#joined++;
    const heap = this.#heap;
    let at = this.size++;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.#before(cpu, heap[parent])) break;
      heap[at] = heap[parent];
      at = parent;
    }
    heap[at] = cpu;
  }

  /** The CPU with the earliest clock (ties: the one that joined first). */
  earliest(): number {
    const heap = this.#heap;
    const clock = this.#clock;
    for (;;) {
      const top = heap[0];
      if (this.#key[top] === clock[top]) return top;
      this.#key[top] = clock[top];
      this.#down(0);
    }
  }

  /** Removes the CPU `earliest` returned. */
  removeEarliest(): void {
    this.#member[this.#heap[0]] = 0;
    this.size--;
    if (this.size > 0) {
      this.#heap[0] = this.#heap[this.size];
      this.#down(0);
    }
  }

  every(predicate: (cpu: number) => boolean): boolean {
    for (let i = 0; i < this.size; i++) if (!predicate(this.#heap[i])) return false;
    return true;
  }
}
