import { SIZE_1G, SIZE_2M, SIZE_4K, SIZE_SHIFT } from "./pte.ts";

/**
 * Geometry of each CPU's TLBs. The L1 DTLB has one array per page-size class (4K, 2M,
 * 1G); the second-level TLB (STLB), when `stlbEntries` > 0, has one array shared by 4K
 * and 2M translations and a separate array for 1G ones, as Intel's server cores since
 * Skylake-SP have (cost-references.md P22-P26; sizes per the profile).
 */
export interface TlbGeometry {
  readonly entries4k: number;
  readonly entries2m: number;
  readonly entries1g: number;
  /** Associativity of each L1 array. */
  readonly ways: number;
  /** STLB entries shared by 4K and 2M translations; 0 or absent: no STLB. */
  readonly stlbEntries?: number;
  /** STLB entries for 1G translations. */
  readonly stlbEntries1g?: number;
  readonly stlbWays?: number;
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
 * One set-associative array for every CPU, LRU replacement. A tag is the page key plus,
 * in the shared STLB array, the size class (so 4K and 2M entries of one address differ).
 */
class TlbArray {
  readonly sets: number;
  readonly ways: number;
  readonly #setShift: number;
  /** Tag + 1 per entry (0 = empty). */
  readonly tag: Int32Array;
  /** ENTRY_WORDS words per entry: generation, packed PTE, base pfn, LRU stamp. */
  readonly data: Uint32Array;

  constructor(cpus: number, entries: number, ways: number) {
    this.ways = Math.max(1, Math.floor(ways));
    this.sets = floorPowerOfTwo(Math.max(1, Math.floor(entries / this.ways)));
    this.#setShift = 32 - Math.log2(this.sets);
    const total = cpus * this.sets * this.ways;
    this.tag = new Int32Array(total);
    this.data = new Uint32Array(total * ENTRY_WORDS);
  }

  get capacity(): number {
    return this.sets * this.ways;
  }

  base(cpu: number, tag: number): number {
    // Multiplicative hash of the tag selects the set (sets is a power of two).
    const set = this.sets === 1 ? 0 : Math.imul(tag, 0x9e3779b1) >>> this.#setShift;
    return (cpu * this.sets + set) * this.ways;
  }

  find(cpu: number, tag: number, generation: number): number {
    const base = this.base(cpu, tag);
    const tags = this.tag;
    const data = this.data;
    for (let way = 0; way < this.ways; way++) {
      const index = base + way;
      if (tags[index] === tag + 1 && data[index * ENTRY_WORDS + GEN] === generation) return index;
    }
    return -1;
  }

  insert(
    cpu: number,
    tag: number,
    generation: number,
    pte: number,
    basePfn: number,
    stamp: number,
  ) {
    const base = this.base(cpu, tag);
    const tags = this.tag;
    const data = this.data;
    let victim = base;
    let oldest = 0xffffffff;
    for (let way = 0; way < this.ways; way++) {
      const index = base + way;
      if (
        tags[index] === tag + 1 ||
        tags[index] === 0 ||
        data[index * ENTRY_WORDS + GEN] !== generation
      ) {
        victim = index;
        break;
      }
      const entryStamp = data[index * ENTRY_WORDS + STAMP];
      if (entryStamp < oldest) {
        oldest = entryStamp;
        victim = index;
      }
    }
    tags[victim] = tag + 1;
    const at = victim * ENTRY_WORDS;
    data[at + GEN] = generation;
    data[at + PTE] = pte;
    data[at + PFN] = basePfn;
    data[at + STAMP] = stamp;
  }

  invalidate(cpu: number, tag: number): void {
    const base = this.base(cpu, tag);
    const tags = this.tag;
    for (let way = 0; way < this.ways; way++) {
      if (tags[base + way] === tag + 1) tags[base + way] = 0;
    }
  }
}

/**
 * The TLBs of all CPUs, held in typed arrays: per CPU an L1 DTLB (one array per page-size
 * class) and, optionally, an STLB (4K and 2M share one array; 1G has its own). A lookup
 * tries the L1, then the STLB (a hit there refills the L1); a walk's result fills both.
 * An entry caches the translation, the leaf's permission bits and its protection key, and
 * stays valid until INVLPG or a flush removes it from both levels: a PTE change without a
 * flush leaves a stale entry that still works.
 *
 * A full flush is O(1): each CPU has a generation number, and an entry is valid only while
 * its generation equals its CPU's.
 */
export class Tlb {
  readonly cpus: number;
  /** L1 associativity. */
  readonly ways: number;
  /** L1 sets per CPU, per size class. */
  readonly sets: Int32Array;
  readonly #l1: TlbArray[];
  /** STLB arrays: [shared 4K/2M, 1G]; empty when the geometry has no STLB. */
  readonly #stlb: TlbArray[];
  readonly #cpuGen: Uint32Array;
  readonly #cpuStamp: Uint32Array;
  /** Whether there is an STLB: a field, read on every lookup and INVLPG. */
  readonly #hasStlb: boolean;
  /** Result of the last successful `lookup`: PTE bits and the translated pfn. */
  hitPte = 0;
  hitPfn = 0;
  /** Level that served the last successful lookup: 1 (L1 DTLB) or 2 (STLB). */
  hitLevel = 0;

  constructor(cpus: number, geometry: TlbGeometry) {
    this.cpus = cpus;
    this.#l1 = [geometry.entries4k, geometry.entries2m, geometry.entries1g].map(
      (entries) => new TlbArray(cpus, entries, geometry.ways),
    );
    this.ways = this.#l1[0].ways;
    this.sets = Int32Array.from(this.#l1.map((array) => array.sets));
    const stlbEntries = geometry.stlbEntries ?? 0;
    const stlbWays = geometry.stlbWays ?? geometry.ways;
    this.#stlb =
      stlbEntries > 0
        ? [
            new TlbArray(cpus, stlbEntries, stlbWays),
            new TlbArray(cpus, Math.max(1, geometry.stlbEntries1g ?? 0), stlbWays),
          ]
        : [];
    this.#hasStlb = this.#stlb.length > 0;
    this.#cpuGen = new Uint32Array(cpus).fill(1);
    this.#cpuStamp = new Uint32Array(cpus);
  }

  /** Whether the CPUs have a second-level TLB. */
  get hasStlb(): boolean {
    return this.#hasStlb;
  }

  /** Capacity in entries of one CPU's L1 array for a size class. */
  capacity(size: number): number {
    return this.#l1[size].capacity;
  }

  /** Capacity of one CPU's STLB array holding `size` (4K and 2M: the shared one). */
  stlbCapacity(size: number): number {
    if (!this.#hasStlb) return 0;
    return this.#stlb[size === SIZE_1G ? 1 : 0].capacity;
  }

  /** Entries of all levels that can hold a `size` translation, per CPU (for scratch space). */
  totalCapacity(size: number): number {
    return this.capacity(size) + this.stlbCapacity(size);
  }

  /** The STLB array and tag of a size-class key. */
  #stlbArray(size: number): TlbArray {
    return this.#stlb[size === SIZE_1G ? 1 : 0];
  }

  static #stlbTag(size: number, key: number): number {
    return size === SIZE_1G ? key : key * 2 + (size === SIZE_2M ? 1 : 0);
  }

  /** Fills hitPte/hitPfn from entry `index` of `array`. */
  #hit(array: TlbArray, index: number, vpn: number, size: number): void {
    const at = index * ENTRY_WORDS;
    const shift = SIZE_SHIFT[size];
    this.hitPte = array.data[at + PTE];
    this.hitPfn = (array.data[at + PFN] | 0) + (vpn - ((vpn >>> shift) << shift));
  }

  /**
   * Looks `vpn` up in `cpu`'s TLBs. On a hit, fills `hitPte`/`hitPfn`/`hitLevel`,
   * refreshes LRU and returns the size class; on a miss returns -1.
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
   * split flushes all TLBs, and other addresses only at 4 KiB). An STLB hit refills the L1.
   */
  lookupIn(cpu: number, vpn: number, size: number): number {
    const key = vpn >>> SIZE_SHIFT[size];
    const generation = this.#cpuGen[cpu];
    const l1 = this.#l1[size];
    const index = l1.find(cpu, key, generation);
    if (index >= 0) {
      this.#hit(l1, index, vpn, size);
      l1.data[index * ENTRY_WORDS + STAMP] = ++this.#cpuStamp[cpu];
      this.hitLevel = 1;
      return size;
    }
    if (!this.#hasStlb) return -1;
    const stlb = this.#stlbArray(size);
    const tag = Tlb.#stlbTag(size, key);
    const second = stlb.find(cpu, tag, generation);
    if (second < 0) return -1;
    const stamp = ++this.#cpuStamp[cpu];
    const at = second * ENTRY_WORDS;
    stlb.data[at + STAMP] = stamp;
    this.#hit(stlb, second, vpn, size);
    l1.insert(cpu, key, generation, stlb.data[at + PTE], stlb.data[at + PFN], stamp);
    this.hitLevel = 2;
    return size;
  }

  /** Like `lookup` but without touching LRU state: for observers (exposure, tests). */
  probe(cpu: number, vpn: number): number {
    const generation = this.#cpuGen[cpu];
    for (let size = 0; size < 3; size++) {
      const key = vpn >>> SIZE_SHIFT[size];
      const l1 = this.#l1[size];
      const index = l1.find(cpu, key, generation);
      if (index >= 0) {
        this.#hit(l1, index, vpn, size);
        return size;
      }
      if (this.#hasStlb) {
        const stlb = this.#stlbArray(size);
        const second = stlb.find(cpu, Tlb.#stlbTag(size, key), generation);
        if (second >= 0) {
          this.#hit(stlb, second, vpn, size);
          return size;
        }
      }
    }
    return -1;
  }

  /** Caches a translation of the `size`-class page containing `vpn` in both levels, evicting LRU ways. */
  insert(cpu: number, size: number, vpn: number, pte: number, pfnOfVpn: number): void {
    const key = vpn >>> SIZE_SHIFT[size];
    const generation = this.#cpuGen[cpu];
    const basePfn = pfnOfVpn - (vpn - (key << SIZE_SHIFT[size]));
    const stamp = ++this.#cpuStamp[cpu];
    this.#l1[size].insert(cpu, key, generation, pte, basePfn, stamp);
    if (this.#hasStlb) {
      this.#stlbArray(size).insert(cpu, Tlb.#stlbTag(size, key), generation, pte, basePfn, stamp);
    }
  }

  /** INVLPG: drops every entry of any size that maps `vpn` on `cpu`, at every level. */
  invalidate(cpu: number, vpn: number): void {
    for (let size = 0; size < 3; size++) {
      const key = vpn >>> SIZE_SHIFT[size];
      this.#l1[size].invalidate(cpu, key);
      if (this.#hasStlb) this.#stlbArray(size).invalidate(cpu, Tlb.#stlbTag(size, key));
    }
  }

  /** Full flush of `cpu`'s TLBs, global entries included. */
  flushAll(cpu: number): void {
    this.#cpuGen[cpu]++;
  }

  /**
   * Writes the keys (vpn >>> SIZE_SHIFT[size]) of `cpu`'s valid entries of one size class,
   * at any level (a key may appear twice), into `out` (at least `totalCapacity(size)`
   * long) and returns how many there are.
   */
  validKeys(cpu: number, size: number, out: Int32Array): number {
    const generation = this.#cpuGen[cpu];
    let count = 0;
    const l1 = this.#l1[size];
    const start = cpu * l1.capacity;
    for (let index = start; index < start + l1.capacity; index++) {
      if (l1.tag[index] !== 0 && l1.data[index * ENTRY_WORDS + GEN] === generation) {
        out[count++] = l1.tag[index] - 1;
      }
    }
    if (!this.#hasStlb) return count;
    const stlb = this.#stlbArray(size);
    const first = cpu * stlb.capacity;
    for (let index = first; index < first + stlb.capacity; index++) {
      const tag = stlb.tag[index] - 1;
      if (tag < 0 || stlb.data[index * ENTRY_WORDS + GEN] !== generation) continue;
      if (size === SIZE_1G) out[count++] = tag;
      else if ((tag & 1) === (size === SIZE_2M ? 1 : 0)) out[count++] = tag >>> 1;
    }
    return count;
  }

  /** Number of valid entries on `cpu` at every level (for tests and summaries; not on the hot path). */
  validEntries(cpu: number): number {
    const generation = this.#cpuGen[cpu];
    let count = 0;
    for (const array of [...this.#l1, ...this.#stlb]) {
      const start = cpu * array.capacity;
      for (let index = start; index < start + array.capacity; index++) {
        if (array.tag[index] !== 0 && array.data[index * ENTRY_WORDS + GEN] === generation) count++;
      }
    }
    return count;
  }

  /** The geometry as text, for summaries. */
  describe(): string {
    const l1 = `L1 ${this.capacity(SIZE_4K)} x 4K, ${this.capacity(SIZE_2M)} x 2M, ${this.capacity(SIZE_1G)} x 1G, ${this.ways}-way`;
    if (!this.#hasStlb) return l1;
    return `${l1}; STLB ${this.stlbCapacity(SIZE_4K)} x 4K/2M shared, ${this.stlbCapacity(SIZE_1G)} x 1G`;
  }
}
