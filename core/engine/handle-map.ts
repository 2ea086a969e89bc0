/**
 * The run's maps from a stream's mapping handle to its state (`RunState.live`,
 * `RunState.intendedLive`). Every map, access and unmap operation looks a handle up, sets
 * or deletes it, and only a few handles are open at once while their values keep growing
 * (one per mapping of the run), so a general `Map` spends its time on hashing and on
 * growing and compacting its ordered table. This one is an open-addressing table
 * (linear probing, deletion by backward shift, so no tombstones) sized to the handles
 * open at once.
 *
 * Iteration is in insertion order, as a `Map`'s: the end of a run closes the mappings
 * still open in the order they were made, which the results depend on. Iterating is
 * rare (the end of a run, invariant checks, recorded strays), so it sorts by insertion
 * number instead of keeping a list in order.
 *
 * @packageDocumentation
 */

const EMPTY = 0;
const FULL = 1;

/** Slot of a handle's hash: any number hashes (handles are integers; others truncate). */
function hashOf(handle: number, mask: number): number {
  return (Math.imul(handle | 0, 0x9e3779b1) >>> 16) & mask;
}

/** A map from mapping handles (numbers) to values, iterated in insertion order. */
export class HandleMap<V> {
  #keys: Float64Array;
  #state: Uint8Array;
  #values: (V | undefined)[];
  /** Insertion number of each slot's entry, for iteration in insertion order. */
  #order: Float64Array;
  #mask: number;
  #size = 0;
  #inserted = 0;

  constructor(capacity = 16) {
    let slots = 16;
    while (slots < capacity * 2) slots *= 2;
    this.#keys = new Float64Array(slots);
    this.#state = new Uint8Array(slots);
    this.#values = new Array(slots).fill(undefined);
    this.#order = new Float64Array(slots);
    this.#mask = slots - 1;
  }

  /** Entries in the map. */
  get size(): number {
    return this.#size;
  }

  /** The slot holding `handle`, or -1. */
  #find(handle: number): number {
    const keys = this.#keys;
    const state = this.#state;
    const mask = this.#mask;
    let slot = hashOf(handle, mask);
    while (state[slot] === FULL) {
      if (keys[slot] === handle) return slot;
      slot = (slot + 1) & mask;
    }
    return -1;
  }

  has(handle: number): boolean {
    return this.#find(handle) >= 0;
  }

  get(handle: number): V | undefined {
    const slot = this.#find(handle);
    return slot < 0 ? undefined : this.#values[slot];
  }

  /** Sets `handle` to `value`; a handle already present keeps its place in the order. */
  set(handle: number, value: V): this {
    const keys = this.#keys;
    const state = this.#state;
    const mask = this.#mask;
    let slot = hashOf(handle, mask);
    while (state[slot] === FULL) {
      if (keys[slot] === handle) {
        this.#values[slot] = value;
        return this;
      }
      slot = (slot + 1) & mask;
    }
    keys[slot] = handle;
    state[slot] = FULL;
    this.#values[slot] = value;
    this.#order[slot] = this.#inserted++;
    if (++this.#size * 2 > this.#values.length) this.#grow();
    return this;
  }

  /** Removes `handle`; true when it was present. */
  delete(handle: number): boolean {
    let hole = this.#find(handle);
    if (hole < 0) return false;
    const keys = this.#keys;
    const state = this.#state;
    const values = this.#values;
    const order = this.#order;
    const mask = this.#mask;
    // Backward shift: entries after the hole that may live in it move back, so every
    // entry stays reachable from its home slot without tombstones.
    let slot = (hole + 1) & mask;
    while (state[slot] === FULL) {
      const home = hashOf(keys[slot], mask);
      // Move the entry when its home is not in the cyclic range (hole, slot].
      if (hole <= slot ? home <= hole || home > slot : home <= hole && home > slot) {
        keys[hole] = keys[slot];
        values[hole] = values[slot];
        order[hole] = order[slot];
        hole = slot;
      }
      slot = (slot + 1) & mask;
    }
    state[hole] = EMPTY;
    values[hole] = undefined;
    this.#size--;
    return true;
  }

  /** The values in insertion order. */
  values(): V[] {
    return this.#slotsInOrder().map((slot) => this.#values[slot] as V);
  }

  /** The handles in insertion order. */
  keys(): number[] {
    return this.#slotsInOrder().map((slot) => this.#keys[slot]);
  }

  /** The occupied slots, in the order their entries were inserted. */
  #slotsInOrder(): number[] {
    const slots: number[] = [];
    for (let slot = 0; slot < this.#state.length; slot++) {
      if (this.#state[slot] === FULL) slots.push(slot);
    }
    const order = this.#order;
    return slots.sort((a, b) => order[a] - order[b]);
  }

  #grow(): void {
    const keys = this.#keys;
    const state = this.#state;
    const values = this.#values;
    const order = this.#order;
    const slots = keys.length * 2;
    this.#keys = new Float64Array(slots);
    this.#state = new Uint8Array(slots);
    this.#values = new Array(slots).fill(undefined);
    this.#order = new Float64Array(slots);
    this.#mask = slots - 1;
    for (let old = 0; old < keys.length; old++) {
      if (state[old] !== FULL) continue;
      let slot = hashOf(keys[old], this.#mask);
      while (this.#state[slot] === FULL) slot = (slot + 1) & this.#mask;
      this.#keys[slot] = keys[old];
      this.#state[slot] = FULL;
      this.#values[slot] = values[old];
      this.#order[slot] = order[old];
    }
  }
}
