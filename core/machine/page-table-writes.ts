/**
 * Page-table writes, each charged: set_pte_at()/pte_clear() on vmalloc, fixmap and pkmap
 * addresses (no flush: the caller flushes), and the direct map's CPA core: a large leaf
 * split one level with its flush_tlb_all() under pgd_lock, an attribute change over a
 * range (splitting only the leaves it does not cover whole), and memremap_pages() creating
 * a device range's entries with their key or protection.
 */
import { Cat, Ev } from "../ledger.ts";
import { ChunkSlabs } from "./chunks.ts";
import {
  CHUNK_MASK,
  CHUNK_PAGES,
  CHUNK_SHIFT,
  VMALLOC_CHUNK_MASK,
  VMALLOC_CHUNK_PAGES,
  VMALLOC_CHUNK_SHIFT,
} from "./page-tables.ts";
import {
  PAGE_KERNEL,
  PTE_PKEY_MASK,
  PTE_PKEY_SHIFT,
  PTE_PRESENT,
  PTE_WRITABLE,
  SIZE_1G,
  SIZE_4K,
  SIZE_SHIFT,
} from "./pte.ts";
import { Shootdown } from "./shootdown.ts";

/** What #setDirect did. */
const UNCHANGED = 0;
const CHANGED = 1;
const ACCRUED = 2;

/** Below this many pages a leaf is written page by page (no watched-page search). */
const SHORT_RANGE = 64;

/** Layer 8 of the machine: charged PTE writes and the direct map's CPA (splits flush). */
/** A change of direct-map attributes: PTE bits to set and to clear, and a protection key to put in. */
export interface PteChange {
  readonly set?: number;
  readonly clear?: number;
  /** Replaces the leaf's protection key (0..15). */
  readonly key?: number;
}

/** The PTE bits `change` clears and sets; a key clears the key field and sets its own. */
function pteMasks(change: PteChange): { clear: number; setBits: number } {
  let clear = change.clear ?? 0;
  let setBits = change.set ?? 0;
  if (change.key !== undefined) {
    if (!Number.isInteger(change.key) || change.key < 0 || change.key > 15) {
      throw new RangeError(`protection key ${change.key} is outside 0..15`);
    }
    clear |= PTE_PKEY_MASK;
    setBits |= change.key << PTE_PKEY_SHIFT;
  }
  return { clear, setBits };
}

export class PageTableWrites extends Shootdown {
  /** Direct-map PTE chunks, up to 32 (64 KiB) to a slab. */
  readonly #directSlabs = new ChunkSlabs(CHUNK_PAGES, 32, (length) => new Uint32Array(length));

  #ensurePtePage(cpu: number, vpn: number): void {
    const table = (vpn - this.vmallocBase) >>> 9;
    if (this.vmallocPtePage[table]) return;
    this.vmallocPtePage[table] = 1;
    this.ledger.count(Ev.pt_allocs);
    this.ledger.charge(cpu, Cat.pt_alloc, this.param.page_alloc_cycles);
  }

  /**
   * set_pte_at() on a vmalloc or fixmap vpn: no TLB flush (the entry was not present, and
   * x86 never caches not-present entries). Allocates the PTE page on first use in vmalloc.
   */
  setKernelPte(cpu: number, vpn: number, pfn: number, pte: number): void {
    if (vpn < this.pages) throw new Error("setKernelPte: use changeDirectMap for the direct map");
    if (vpn >= this.vaLimit)
      throw new RangeError(`vpn ${vpn} is outside the modelled address space`);
    if (pfn < 0 || pfn >= this.pages) throw new RangeError(`pfn ${pfn} is outside physical memory`);
    const old = this.pteOf(vpn);
    if (old & PTE_PRESENT) this.noteStale(cpu, vpn, this.walkPfn);
    if (this.isVmalloc(vpn)) {
      this.#ensurePtePage(cpu, vpn);
      const index = vpn - this.vmallocBase;
      let chunk = this.vmallocPtes[index >>> VMALLOC_CHUNK_SHIFT];
      if (chunk === undefined) {
        chunk = new Int32Array(VMALLOC_CHUNK_PAGES * 2);
        this.vmallocPtes[index >>> VMALLOC_CHUNK_SHIFT] = chunk;
      }
      const slot = (index & VMALLOC_CHUNK_MASK) << 1;
      chunk[slot] = pte;
      chunk[slot + 1] = pfn;
    } else if (vpn >= this.fixmapBase) {
      const index = vpn - this.fixmapBase;
      this.fixmapPte[index] = pte;
      this.fixmapPfn[index] = pfn;
    } else if (vpn >= this.pkmapBase) {
      const index = vpn - this.pkmapBase;
      this.pkmapPte[index] = pte;
      this.pkmapPfn[index] = pfn;
    } else {
      throw new RangeError(`vpn ${vpn} is not a kernel mapping the model holds`);
    }
    this.ledger.count(Ev.pte_writes);
    this.ledger.charge(cpu, Cat.pte_write, this.param.pte_write_cycles);
  }

  /** pte_clear() on a vmalloc or fixmap vpn. No flush: TLBs may keep the old entry. */
  clearKernelPte(cpu: number, vpn: number): void {
    const old = this.pteOf(vpn);
    if (old & PTE_PRESENT) this.noteStale(cpu, vpn, this.walkPfn);
    if (this.isVmalloc(vpn)) {
      const index = vpn - this.vmallocBase;
      const chunk = this.vmallocPtes[index >>> VMALLOC_CHUNK_SHIFT];
      if (chunk !== undefined) chunk[(index & VMALLOC_CHUNK_MASK) << 1] = 0;
    } else if (vpn >= this.fixmapBase && vpn < this.vaLimit) {
      this.fixmapPte[vpn - this.fixmapBase] = 0;
    } else if (vpn >= this.pkmapBase && vpn < this.fixmapBase) {
      this.pkmapPte[vpn - this.pkmapBase] = 0;
    } else {
      throw new Error("clearKernelPte: not a vmalloc or fixmap address");
    }
    this.ledger.count(Ev.pte_writes);
    this.ledger.charge(cpu, Cat.pte_write, this.param.pte_write_cycles);
  }

  /**
   * Splits the direct-map large leaf covering `pfn` one level (1G→2M or 2M→4K), as
   * __split_large_page does: allocate a page-table page, install it, then flush_tlb_all()
   * (IPI to every CPU) under pgd_lock. 6.1 never merges it back.
   */
  splitDirectMap(cpu: number, pfn: number): void {
    const size = this.directLeafSize(pfn);
    if (size === SIZE_4K) return;
    const lock = this.lockId("pgd_lock");
    // split_large_page() allocates the new table page (alloc_pages(GFP_KERNEL, 0)) before
    // __split_large_page() takes pgd_lock (arch/x86/mm/pat/set_memory.c).
    this.ledger.count(Ev.pt_allocs);
    this.ledger.charge(cpu, Cat.pt_alloc, this.param.page_alloc_cycles);
    this.acquire(cpu, lock);
    if (size === SIZE_1G) {
      this.split1g[pfn >>> 18] = 1;
      this.ledger.count(Ev.direct_map_splits_1g);
    } else {
      this.split2m[pfn >>> 9] = 1;
      this.ledger.count(Ev.direct_map_splits_2m);
    }
    this.ledger.count(Ev.direct_map_splits);
    this.ledger.count(Ev.pte_writes);
    this.ledger.charge(cpu, Cat.pte_write, this.param.pte_write_cycles);
    this.flushTlbAll(cpu);
    this.release(cpu, lock);
  }

  /**
   * How many of the `count` pages from `pfn` have a linear mapping (low memory): 0 when
   * `pfn` is a high page. A range outside physical memory is an error.
   */
  #linearCount(pfn: number, count: number, what: string): number {
    if (pfn < 0 || count < 1 || pfn + count > this.pages) {
      throw new RangeError(`${what} [${pfn}, ${pfn + count}) is outside physical memory`);
    }
    return pfn >= this.lowmemPages ? 0 : Math.min(count, this.lowmemPages - pfn);
  }

  /**
   * Changes direct-map attributes of `count` pages from `pfn` (the CPA core,
   * __change_page_attr): a large leaf is kept only when the change covers all of it,
   * otherwise it is split first (with its flush). Does not flush for the attribute change
   * itself: callers flush (set_memory_*) or not (set_direct_map_*_noflush).
   * `set` and `clear` are PTE bits; `key` replaces the protection key when given.
   * Returns whether any page's PTE changed (what set_pages_array_*() flushes for).
   */
  changeDirectMap(cpu: number, pfn: number, count: number, change: PteChange): boolean {
    // High pages have no linear mapping to change: set_memory.c's page-array and
    // __set_pages_p/np paths skip PageHighMem pages (arch/x86/mm/pat/set_memory.c).
    count = this.#linearCount(pfn, count, "direct-map change");
    if (count === 0) return false;
    const { clear, setBits } = pteMasks(change);
    let page = pfn;
    const end = pfn + count;
    let changed = false;
    while (page < end) {
      const size = this.directLeafSize(page);
      const span = 1 << SIZE_SHIFT[size];
      const leafStart = page - (page % span);
      const current = this.directPte(page);
      const wanted = (current & ~clear) | setBits;
      if (wanted === current) {
        // Same protection: nothing to change and no reason to split.
        page = Math.min(leafStart + span, end);
        continue;
      }
      if (size !== SIZE_4K && (leafStart < pfn || leafStart + span > end)) {
        this.splitDirectMap(cpu, page);
        continue; // re-examine at the smaller size
      }
      // One leaf write covers the whole leaf.
      if (this.#setDirectRange(cpu, leafStart, leafStart + span, wanted)) changed = true;
      this.ledger.count(Ev.pte_writes);
      this.ledger.charge(cpu, Cat.pte_write, this.param.pte_write_cycles);
      page = leafStart + span;
    }
    return changed;
  }

  /**
   * memremap_pages() → arch_add_memory() → init_memory_mapping(start, end, pgprot) for a
   * device range (PMEM): its direct-map entries are created with `change` applied (a pkey
   * with Weiny v10's "memremap_pages: Set PKS pkey in PTEs if requested", read-only, or not
   * present), as large as the range's alignment allows (split_mem_range(): 2M leaves, 4K at
   * unaligned ends, 1G only for a whole GiB). Nothing existing is split and nothing is
   * flushed: the entries are new. The model keeps device pages inside its physical page
   * array, so the rest of the covering GiB is mapped with 2M leaves from then on.
   * One PTE write is charged per leaf created.
   */
  memremapPages(cpu: number, pfn: number, count: number, change: PteChange): void {
    // No linear mapping is created above low memory (HIGHMEM): the range is reached by kmap.
    count = this.#linearCount(pfn, count, "device range");
    if (count === 0) return;
    const end = pfn + count;
    const { clear, setBits } = pteMasks(change);
    for (let g = pfn >>> 18; g <= (end - 1) >>> 18; g++) {
      const start1g = g << 18;
      if (start1g < pfn || start1g + (1 << 18) > end) this.split1g[g] = 1;
    }
    for (let m = pfn >>> 9; m <= (end - 1) >>> 9; m++) {
      const start2m = m << 9;
      if (this.split1g[start2m >>> 18] && (start2m < pfn || start2m + 512 > end)) {
        this.split2m[m] = 1;
      }
    }
    let page = pfn;
    while (page < end) {
      const span = 1 << SIZE_SHIFT[this.directLeafSize(page)];
      const leafEnd = Math.min(page - (page % span) + span, end);
      for (let p = page; p < leafEnd; p++) {
        this.#setDirect(cpu, p, (this.directPte(p) & ~clear) | setBits, false);
      }
      this.ledger.count(Ev.pte_writes);
      this.ledger.charge(cpu, Cat.pte_write, this.param.pte_write_cycles);
      page = leafEnd;
    }
  }

  /**
   * `#setDirect` on every page of [from, to) in order, one chunk lookup per chunk (a 1G
   * leaf is 2^18 pages). Returns whether any PTE changed.
   */
  #setDirectRange(cpu: number, from: number, to: number, pte: number): boolean {
    let changed = false;
    // No clock moves inside the range, so after one accrual the others would add nothing.
    let accrued = false;
    let pfn = from;
    if (to - from <= SHORT_RANGE) {
      for (; pfn < to; pfn++) {
        const result = this.#setDirect(cpu, pfn, pte, accrued);
        if (result !== UNCHANGED) changed = true;
        if (result === ACCRUED) accrued = true;
      }
      return changed;
    }
    const stored = pte ^ PAGE_KERNEL;
    while (pfn < to) {
      const chunkEnd = Math.min(to, ((pfn >>> CHUNK_SHIFT) + 1) << CHUNK_SHIFT);
      const chunk = this.directPtes[pfn >>> CHUNK_SHIFT];
      // An absent chunk holds PAGE_KERNEL everywhere (stored 0).
      if (chunk === undefined && stored === 0) {
        pfn = chunkEnd;
        continue;
      }
      while (pfn < chunkEnd) {
        // Up to the next watched page a change is a plain store; that page takes #setDirect.
        const watched = this.nextWatched(pfn, chunkEnd);
        if (watched > pfn) {
          const target = this.directPtes[pfn >>> CHUNK_SHIFT] ?? this.#directChunk(pfn);
          for (let at = pfn & CHUNK_MASK, stop = at + (watched - pfn); at < stop; at++) {
            if (target[at] !== stored) {
              target[at] = stored;
              changed = true;
            }
          }
          pfn = watched;
        }
        if (pfn < chunkEnd) {
          const result = this.#setDirect(cpu, pfn, pte, accrued);
          if (result !== UNCHANGED) changed = true;
          if (result === ACCRUED) accrued = true;
          pfn++;
        }
      }
    }
    return changed;
  }

  #directChunk(pfn: number): Uint32Array {
    let chunk = this.directPtes[pfn >>> CHUNK_SHIFT];
    if (chunk === undefined) {
      chunk = this.#directSlabs.take();
      this.directPtes[pfn >>> CHUNK_SHIFT] = chunk;
    }
    return chunk;
  }

  /**
   * Sets one direct-map PTE, with its exposure bookkeeping (the accrual up to now skipped
   * when `accrued`: already done at this time). Returns UNCHANGED, CHANGED, or ACCRUED
   * (changed, and exposure accrued).
   */
  #setDirect(cpu: number, pfn: number, pte: number, accrued: boolean): number {
    const old = this.directPte(pfn);
    if (old === pte) return UNCHANGED;
    let result = CHANGED;
    if (this.isWatched(pfn)) {
      const oldWritable = (old & (PTE_PRESENT | PTE_WRITABLE)) === (PTE_PRESENT | PTE_WRITABLE);
      const newWritable = (pte & (PTE_PRESENT | PTE_WRITABLE)) === (PTE_PRESENT | PTE_WRITABLE);
      const oldKey = (old & PTE_PKEY_MASK) >>> PTE_PKEY_SHIFT;
      const newKey = (pte & PTE_PKEY_MASK) >>> PTE_PKEY_SHIFT;
      if (oldWritable !== newWritable || oldKey !== newKey) {
        if (!accrued) this.accrueAllExposure();
        result = ACCRUED;
        if (oldWritable) this.watchedWritable[oldKey]--;
        if (newWritable) this.watchedWritable[newKey]++;
        if (oldWritable && !newWritable) this.noteStale(cpu, pfn, pfn);
      }
    }
    const chunk = this.directPtes[pfn >>> CHUNK_SHIFT] ?? this.#directChunk(pfn);
    chunk[pfn & CHUNK_MASK] = pte ^ PAGE_KERNEL;
    return result;
  }
}
