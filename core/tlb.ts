import { SIZE_SHIFT } from "./pte.ts";

/** Geometry of each CPU's TLB: entries per page-size class and associativity. */
export interface TlbGeometry {
  readonly entries4k: number;
  readonly entries2m: number;
  readonly entries1g: number;
  readonly ways: number;
}

/** Words per TLB entry in the data array, and the offset of each field. */
const ENTRY_WORDS = 4;
const GEN = 0;
const PTE = 1;
const PFN = 2;
const STAMP = 3;

function floorPowerOfTwo(n: number): number {
  return n < 1 ? 1 : 2 ** Math.floor(Math.log2(n));
}

/**
 * The TLBs of all CPUs, held in typed arrays. Each CPU has one set-associative array per
 * page-size class (4K, 2M, 1G) with LRU replacement. An entry caches the translation, the
 * leaf's permission bits and its protection key, and stays valid until INVLPG or a flush
 * removes it: a PTE change without a flush leaves a stale entry that still works.
 *
 * A full flush is O(1): each CPU has a generation number, and an entry is valid only while
 * its generation equals its CPU's.
 */
export class Tlb {
  readonly cpus: number;
  readonly ways: number;
  /** Sets per CPU, per size class. */
  readonly sets: Int32Array;
  readonly #setShift: Int32Array;
  /** Per size class: tag + 1 per entry (0 = empty), scanned on every lookup. */
  readonly #tag: Int32Array[];
  /**
   * Per size class, ENTRY_WORDS words per entry, together so that a hit reads one cache
   * line: generation, packed PTE, base pfn (stored as uint32), LRU stamp.
   */
  readonly #data: Uint32Array[];
  readonly #cpuGen: Uint32Array;
  readonly #cpuStamp: Uint32Array;
  /** Result of the last successful `lookup`: PTE bits and the translated pfn. */
  hitPte = 0;
  hitPfn = 0;

  constructor(cpus: number, geometry: TlbGeometry) {
    this.cpus = cpus;
    this.ways = Math.max(1, Math.floor(geometry.ways));
    const entries = [geometry.entries4k, geometry.entries2m, geometry.entries1g];
    this.sets = new Int32Array(3);
    this.#setShift = new Int32Array(3);
    this.#tag = [];
    this.#data = [];
    for (let size = 0; size < 3; size++) {
      const sets = floorPowerOfTwo(Math.max(1, Math.floor(entries[size] / this.ways)));
      this.sets[size] = sets;
      this.#setShift[size] = 32 - Math.log2(sets);
      const total = cpus * sets * this.ways;
      this.#tag.push(new Int32Array(total));
      this.#data.push(new Uint32Array(total * ENTRY_WORDS));
    }
    this.#cpuGen = new Uint32Array(cpus).fill(1);
    this.#cpuStamp = new Uint32Array(cpus);
  }

  /** Capacity in entries of one CPU's array for a size class. */
  capacity(size: number): number {
    return this.sets[size] * this.ways;
  }

  #base(cpu: number, size: number, key: number): number {
    // Multiplicative hash of the tag selects the set (sets is a power of two).
    const set = this.sets[size] === 1 ? 0 : Math.imul(key, 0x9e3779b1) >>> this.#setShift[size];
    return (cpu * this.sets[size] + set) * this.ways;
  }

  /** Index of `cpu`'s valid entry for `vpn` in one size class, or -1. */
  #find(cpu: number, vpn: number, size: number): number {
    const key = vpn >>> SIZE_SHIFT[size];
    const base = this.#base(cpu, size, key);
    const tags = this.#tag[size];
    const data = this.#data[size];
    const generation = this.#cpuGen[cpu];
    for (let way = 0; way < this.ways; way++) {
      const index = base + way;
      if (tags[index] === key + 1 && data[index * ENTRY_WORDS + GEN] === generation) return index;
    }
    return -1;
  }

  /** Fills hitPte/hitPfn from entry `index` of a size class. */
  #hit(size: number, index: number, vpn: number): void {
    const data = this.#data[size];
    const at = index * ENTRY_WORDS;
    const shift = SIZE_SHIFT[size];
    this.hitPte = data[at + PTE];
    this.hitPfn = (data[at + PFN] | 0) + (vpn - ((vpn >>> shift) << shift));
  }

  /**
   * Looks `vpn` up in `cpu`'s TLB. On a hit, fills `hitPte`/`hitPfn`, refreshes LRU and
   * returns the size class; on a miss returns -1.
   */
  lookup(cpu: number, vpn: number): number {
    for (let size = 0; size < 3; size++) {
      if (this.lookupIn(cpu, vpn, size) >= 0) return size;
    }
    return -1;
  }

  /**
   * `lookup` in one size class only: for a caller that knows no other class can hold `vpn`
   * (the machine: a direct-map page is only ever cached at its leaf's size, since every
   * split flushes all TLBs, and other addresses only at 4 KiB).
   */
  lookupIn(cpu: number, vpn: number, size: number): number {
    const index = this.#find(cpu, vpn, size);
    if (index < 0) return -1;
    this.#hit(size, index, vpn);
    this.#data[size][index * ENTRY_WORDS + STAMP] = ++this.#cpuStamp[cpu];
    return size;
  }

  /** Like `lookup` but without touching LRU state: for observers (exposure, tests). */
  probe(cpu: number, vpn: number): number {
    for (let size = 0; size < 3; size++) {
      const index = this.#find(cpu, vpn, size);
      if (index >= 0) {
        this.#hit(size, index, vpn);
        return size;
      }
    }
    return -1;
  }

  /** Caches a translation of the `size`-class page containing `vpn`, evicting the LRU way. */
  insert(cpu: number, size: number, vpn: number, pte: number, pfnOfVpn: number): void {
    const key = vpn >>> SIZE_SHIFT[size];
    const base = this.#base(cpu, size, key);
    const generation = this.#cpuGen[cpu];
    const tags = this.#tag[size];
    const data = this.#data[size];
    let victim = base;
    let oldest = 0xffffffff;
    for (let way = 0; way < this.ways; way++) {
      const index = base + way;
      if (data[index * ENTRY_WORDS + GEN] !== generation || tags[index] === 0) {
        victim = index;
        break;
      }
      const stamp = data[index * ENTRY_WORDS + STAMP];
      if (stamp < oldest) {
        oldest = stamp;
        victim = index;
      }
    }
    tags[victim] = key + 1;
    const at = victim * ENTRY_WORDS;
    data[at + GEN] = generation;
    data[at + PTE] = pte;
    data[at + PFN] = pfnOfVpn - (vpn - (key << SIZE_SHIFT[size]));
    data[at + STAMP] = ++this.#cpuStamp[cpu];
  }

  /** INVLPG: drops every entry of any size that maps `vpn` on `cpu`. */
  invalidate(cpu: number, vpn: number): void {
    for (let size = 0; size < 3; size++) {
      const key = vpn >>> SIZE_SHIFT[size];
      const base = this.#base(cpu, size, key);
      const tags = this.#tag[size];
      for (let way = 0; way < this.ways; way++) {
        if (tags[base + way] === key + 1) tags[base + way] = 0;
      }
    }
  }

  /** Full flush of `cpu`'s TLB, global entries included. */
  flushAll(cpu: number): void {
    this.#cpuGen[cpu]++;
  }

  /**
   * Writes the keys (vpn >>> SIZE_SHIFT[size]) of `cpu`'s valid entries of one size class
   * into `out` (at least `capacity(size)` long) and returns how many there are.
   */
  validKeys(cpu: number, size: number, out: Int32Array): number {
    const generation = this.#cpuGen[cpu];
    const tags = this.#tag[size];
    const data = this.#data[size];
    const start = cpu * this.sets[size] * this.ways;
    const end = start + this.sets[size] * this.ways;
    let count = 0;
    for (let index = start; index < end; index++) {
      if (tags[index] !== 0 && data[index * ENTRY_WORDS + GEN] === generation) {
        out[count++] = tags[index] - 1;
      }
    }
    return count;
  }

  /** Number of valid entries on `cpu` (for tests and summaries; not on the hot path). */
  validEntries(cpu: number): number {
    const generation = this.#cpuGen[cpu];
    let count = 0;
    for (let size = 0; size < 3; size++) {
      const tags = this.#tag[size];
      const data = this.#data[size];
      const start = cpu * this.sets[size] * this.ways;
      const end = start + this.sets[size] * this.ways;
      for (let index = start; index < end; index++) {
        if (tags[index] !== 0 && data[index * ENTRY_WORDS + GEN] === generation) count++;
      }
    }
    return count;
  }
}
