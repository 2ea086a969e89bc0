import { SIZE_SHIFT } from "./pte.ts";

/** Geometry of each CPU's TLB: entries per page-size class and associativity. */
export interface TlbGeometry {
  readonly entries4k: number;
  readonly entries2m: number;
  readonly entries1g: number;
  readonly ways: number;
}

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
  /** Per size class: tag + 1 (0 = empty), generation, packed PTE, base pfn, LRU stamp. */
  readonly #tag: Int32Array[];
  readonly #gen: Uint32Array[];
  readonly #pte: Uint32Array[];
  readonly #pfn: Int32Array[];
  readonly #stamp: Uint32Array[];
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
    this.#gen = [];
    this.#pte = [];
    this.#pfn = [];
    this.#stamp = [];
    for (let size = 0; size < 3; size++) {
      const sets = floorPowerOfTwo(Math.max(1, Math.floor(entries[size] / this.ways)));
      this.sets[size] = sets;
      this.#setShift[size] = 32 - Math.log2(sets);
      const total = cpus * sets * this.ways;
      this.#tag.push(new Int32Array(total));
      this.#gen.push(new Uint32Array(total));
      this.#pte.push(new Uint32Array(total));
      this.#pfn.push(new Int32Array(total));
      this.#stamp.push(new Uint32Array(total));
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

  /**
   * Looks `vpn` up in `cpu`'s TLB. On a hit, fills `hitPte`/`hitPfn`, refreshes LRU and
   * returns the size class; on a miss returns -1.
   */
  lookup(cpu: number, vpn: number): number {
    const generation = this.#cpuGen[cpu];
    for (let size = 0; size < 3; size++) {
      const key = vpn >>> SIZE_SHIFT[size];
      const base = this.#base(cpu, size, key);
      const tags = this.#tag[size];
      const gens = this.#gen[size];
      for (let way = 0; way < this.ways; way++) {
        const index = base + way;
        if (tags[index] === key + 1 && gens[index] === generation) {
          this.hitPte = this.#pte[size][index];
          this.hitPfn = this.#pfn[size][index] + (vpn - (key << SIZE_SHIFT[size]));
          this.#stamp[size][index] = ++this.#cpuStamp[cpu];
          return size;
        }
      }
    }
    return -1;
  }

  /**
   * `lookup` in one size class only: for a caller that knows no other class can hold `vpn`
   * (the machine: a direct-map page is only ever cached at its leaf's size, since every
   * split flushes all TLBs, and other addresses only at 4 KiB).
   */
  lookupIn(cpu: number, vpn: number, size: number): number {
    const key = vpn >>> SIZE_SHIFT[size];
    const base = this.#base(cpu, size, key);
    const tags = this.#tag[size];
    const gens = this.#gen[size];
    const generation = this.#cpuGen[cpu];
    for (let way = 0; way < this.ways; way++) {
      const index = base + way;
      if (tags[index] === key + 1 && gens[index] === generation) {
        this.hitPte = this.#pte[size][index];
        this.hitPfn = this.#pfn[size][index] + (vpn - (key << SIZE_SHIFT[size]));
        this.#stamp[size][index] = ++this.#cpuStamp[cpu];
        return size;
      }
    }
    return -1;
  }

  /** Like `lookup` but without touching LRU state: for observers (exposure, tests). */
  probe(cpu: number, vpn: number): number {
    const generation = this.#cpuGen[cpu];
    for (let size = 0; size < 3; size++) {
      const key = vpn >>> SIZE_SHIFT[size];
      const base = this.#base(cpu, size, key);
      for (let way = 0; way < this.ways; way++) {
        const index = base + way;
        if (this.#tag[size][index] === key + 1 && this.#gen[size][index] === generation) {
          this.hitPte = this.#pte[size][index];
          this.hitPfn = this.#pfn[size][index] + (vpn - (key << SIZE_SHIFT[size]));
          return size;
        }
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
    const gens = this.#gen[size];
    const stamps = this.#stamp[size];
    let victim = base;
    let oldest = 0xffffffff;
    for (let way = 0; way < this.ways; way++) {
      const index = base + way;
      if (gens[index] !== generation || tags[index] === 0) {
        victim = index;
        break;
      }
      if (stamps[index] < oldest) {
        oldest = stamps[index];
        victim = index;
      }
    }
    tags[victim] = key + 1;
    gens[victim] = generation;
    this.#pte[size][victim] = pte;
    this.#pfn[size][victim] = pfnOfVpn - (vpn - (key << SIZE_SHIFT[size]));
    stamps[victim] = ++this.#cpuStamp[cpu];
  }

  /** INVLPG: drops every entry of any size that maps `vpn` on `cpu`. */
  invalidate(cpu: number, vpn: number): void {
    for (let size = 0; size < 3; size++) {
      const key = vpn >>> SIZE_SHIFT[size];
      const base = this.#base(cpu, size, key);
      for (let way = 0; way < this.ways; way++) {
        if (this.#tag[size][base + way] === key + 1) this.#tag[size][base + way] = 0;
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
    const gens = this.#gen[size];
    const start = cpu * this.sets[size] * this.ways;
    const end = start + this.sets[size] * this.ways;
    let count = 0;
    for (let index = start; index < end; index++) {
      if (tags[index] !== 0 && gens[index] === generation) out[count++] = tags[index] - 1;
    }
    return count;
  }

  /** Number of valid entries on `cpu` (for tests and summaries; not on the hot path). */
  validEntries(cpu: number): number {
    let count = 0;
    const generation = this.#cpuGen[cpu];
    for (let size = 0; size < 3; size++) {
      const start = cpu * this.sets[size] * this.ways;
      const end = start + this.sets[size] * this.ways;
      for (let index = start; index < end; index++) {
        if (this.#tag[size][index] !== 0 && this.#gen[size][index] === generation) count++;
      }
    }
    return count;
  }
}
