/**
 * Temporary kernel mappings: kmap_local on the per-CPU fixmap slots (a stack per thread,
 * migration disabled while a slot is live; mm/highmem.c __kmap_local_pfn_prot,
 * kunmap_local_indexed) and, on x86-32-highmem, kmap() on the global pkmap pool (kmap_high,
 * kunmap_high, flush_all_zero_pkmaps), with the pool's software costs.
 */
import { Cat } from "../ledger.ts";
import type { CostParameter, CostProfile } from "../profile.ts";
import { KMAP_LOCAL_MAX_NESTING, type MachineConfig } from "./config.ts";
import { PageTableWrites } from "./page-table-writes.ts";
import type { Thread } from "./state.ts";

/**
 * Software costs of the HIGHMEM pkmap pool, which the x86-64 cost profiles do not carry:
 * registered in the ledger (owner `machine:x86-32-highmem`) only on a HIGHMEM machine, so
 * x86-64 results list exactly the profile's parameters. No measurement exists in the
 * reference set: both are unverified placeholders, swept by sensitivity like any other.
 */
export const HIGHMEM_COSTS: Readonly<
  Record<"pkmap_lookup_cycles" | "pkmap_scan_entry_cycles", CostParameter>
> = {
  pkmap_lookup_cycles: {
    value: 20,
    unit: "cycles/call",
    confidence: "unverified",
    source:
      "page_address() of a high page in kmap_high()/kunmap_high(): hash of the struct page into page_address_htable, its bucket spinlock and a short list walk (mm/highmem.c page_address, set_page_address); placeholder, no figure in the reference set.",
    range: [5, 100],
  },
  pkmap_scan_entry_cycles: {
    value: 1,
    unit: "cycles/entry",
    confidence: "unverified",
    source:
      "One pkmap_count[] entry examined by map_new_virtual()'s search or flush_all_zero_pkmaps()'s sweep (a load and a compare, mm/highmem.c); placeholder.",
    range: [0.5, 4],
  },
};

/** Layer 9 of the machine: kmap_local slots and the HIGHMEM pkmap pool. */
export class Kmap extends PageTableWrites {
  /** pkmap_count[]: 0 free, 1 mapped but unused (flushed at the next wrap), n + 1 with n users. */
  readonly #pkmapCount: Int32Array;
  /** page_address() of high pages: pfn -> pkmap entry. */
  readonly #pkmapOf = new Map<number, number>();
  /** last_pkmap_nr of mm/highmem.c. */
  #lastPkmap = 0;
  #pkmapLookup = -1;
  #pkmapScan = -1;
  /** kmap() calls that found the page already in the pool (no PTE write). */
  pkmapHits = 0;
  /** kmap() calls that installed a new pkmap entry. */
  pkmapInstalls = 0;
  /** flush_all_zero_pkmaps() calls that cleared entries and flushed every CPU. */
  pkmapWrapFlushes = 0;

  constructor(config: MachineConfig, profile: CostProfile) {
    super(config, profile);
    this.#pkmapCount = new Int32Array(this.pkmapPages);
    if (this.arch === "x86-32-highmem") this.#registerHighmemCosts();
  }

  // ---------------------------------------------------------------------------------------
  // kmap_local on the per-CPU fixmap (the HIGHMEM mechanism, mm/highmem.c).

  /**
   * __kmap_local_pfn_prot(): migrate_disable, push a slot, write its PTE (no flush).
   * Returns the slot's vpn, or -1 when all 15 usable slots are taken (the kernel BUGs).
   */
  kmapLocalPush(thread: Thread, pfn: number, pte: number): number {
    if (thread.kmapDepth >= KMAP_LOCAL_MAX_NESTING) return -1;
    const cpu = thread.cpu;
    this.ledger.charge(cpu, Cat.kmap_slot, this.param.kmap_local_slot_cycles);
    thread.migrateDisable++;
    const slot = thread.kmapDepth++;
    thread.kmapPfn[slot] = pfn;
    thread.kmapPte[slot] = pte;
    const vpn = this.fixmapVpn(cpu, slot);
    this.setKernelPte(cpu, vpn, pfn, pte);
    return vpn;
  }

  /** kunmap_local_indexed(): LIFO only; pte_clear plus one local INVLPG, no IPI. */
  kmapLocalPop(thread: Thread, vpn: number): void {
    const cpu = thread.cpu;
    const slot = thread.kmapDepth - 1;
    if (slot < 0 || this.fixmapVpn(cpu, slot) !== vpn) {
      throw new Error(`kunmap_local out of order on CPU ${cpu}: slots are a stack`);
    }
    this.ledger.charge(cpu, Cat.kmap_slot, this.param.kmap_local_slot_cycles);
    this.clearKernelPte(cpu, vpn);
    this.invlpg(cpu, vpn);
    thread.kmapDepth--;
    thread.migrateDisable--;
  }

  // ---------------------------------------------------------------------------------------
  // kmap() on the pkmap pool (x86-32-highmem; mm/highmem.c kmap_high, kunmap_high).

  #registerHighmemCosts(): void {
    const owner = "machine:x86-32-highmem";
    this.#pkmapLookup = this.ledger.registerParameter(
      "pkmap_lookup_cycles",
      owner,
      HIGHMEM_COSTS.pkmap_lookup_cycles,
    );
    this.#pkmapScan = this.ledger.registerParameter(
      "pkmap_scan_entry_cycles",
      owner,
      HIGHMEM_COSTS.pkmap_scan_entry_cycles,
    );
  }

  /** vpn of pkmap entry `nr` (PKMAP_ADDR(nr)). */
  pkmapVpn(nr: number): number {
    return this.pkmapBase + nr;
  }

  /** pkmap_count[nr] (for tests and reports): 0 free, 1 mapped unused, n + 1 with n users. */
  pkmapCount(nr: number): number {
    return this.#pkmapCount[nr];
  }

  /**
   * kmap_high(): under the global kmap_lock, page_address() finds the page's pkmap entry if
   * it has one; otherwise map_new_virtual() advances last_pkmap_nr to the next free entry,
   * calling flush_all_zero_pkmaps() each time the search wraps to entry 0, and installs a
   * PTE (set_pte_at, no flush: the entry was not present). The entry's count goes up.
   * Returns the vpn, or -1 when every entry is in use: the kernel would sleep on
   * pkmap_map_wait until a kunmap(), which the caller must treat as not served.
   */
  kmapHigh(cpu: number, pfn: number, pte: number): number {
    if (this.pkmapPages === 0)
      throw new Error(`kmapHigh: a ${this.arch} machine has no pkmap pool`);
    if (this.inDirectMap(pfn)) throw new Error("kmapHigh: a low page is reached at page_address()");
    const lock = this.lockId("kmap_lock");
    this.acquire(cpu, lock);
    this.ledger.charge(cpu, Cat.kmap_slot, this.#pkmapLookup);
    let nr = this.#pkmapOf.get(pfn);
    if (nr !== undefined) {
      this.pkmapHits++;
    } else {
      let left = this.pkmapPages;
      let scanned = 0;
      for (;;) {
        this.#lastPkmap = (this.#lastPkmap + 1) % this.pkmapPages;
        scanned++;
        if (this.#lastPkmap === 0) {
          this.#flushAllZeroPkmaps(cpu);
          left = this.pkmapPages;
        }
        if (this.#pkmapCount[this.#lastPkmap] === 0) break;
        if (--left === 0) {
          this.ledger.charge(cpu, Cat.kmap_slot, this.#pkmapScan, scanned);
          this.release(cpu, lock);
          return -1;
        }
      }
      this.ledger.charge(cpu, Cat.kmap_slot, this.#pkmapScan, scanned);
      nr = this.#lastPkmap;
      this.setKernelPte(cpu, this.pkmapVpn(nr), pfn, pte);
      this.#pkmapCount[nr] = 1;
      this.#pkmapOf.set(pfn, nr);
      this.pkmapInstalls++;
    }
    this.#pkmapCount[nr]++;
    this.release(cpu, lock);
    return this.pkmapVpn(nr);
  }

  /**
   * kunmap_high(): under kmap_lock, the entry's count goes down. Nothing is cleared or
   * flushed: an entry whose count drops to 1 stays mapped (and cached in TLBs) until the
   * pool next wraps.
   */
  kunmapHigh(cpu: number, vpn: number, evict = false): void {
    const nr = vpn - this.pkmapBase;
    if (nr < 0 || nr >= this.pkmapPages || this.#pkmapCount[nr] < 2) {
      throw new Error(`kunmap_high: vpn ${vpn} is not a kmap()ed pkmap entry (the kernel BUGs)`);
    }
    const lock = this.lockId("kmap_lock");
    this.acquire(cpu, lock);
    this.ledger.charge(cpu, Cat.kmap_slot, this.#pkmapLookup);
    this.#pkmapCount[nr]--;
    if (evict && this.#pkmapCount[nr] === 1) {
      // Not 6.1: the last user's kunmap() clears the entry at once and flushes it on every
      // CPU (flush_tlb_kernel_range of one page), so no stale pkmap address outlives it.
      this.#pkmapCount[nr] = 0;
      this.clearKernelPte(cpu, vpn);
      this.#pkmapOf.delete(this.pkmapPfn[nr]);
      this.pkmapPfn[nr] = -1;
      this.flushTlbKernelRange(cpu, vpn, 1);
    }
    this.release(cpu, lock);
  }

  /**
   * flush_all_zero_pkmaps(), under kmap_lock: every entry with count 1 (mapped, no user) is
   * cleared and forgotten; if any was, one flush_tlb_kernel_range() over the whole pool runs
   * on every CPU (by IPI: a full flush, the pool being above the single-page ceiling).
   */
  #flushAllZeroPkmaps(cpu: number): void {
    this.ledger.charge(cpu, Cat.kmap_slot, this.#pkmapScan, this.pkmapPages);
    let flush = false;
    for (let nr = 0; nr < this.pkmapPages; nr++) {
      if (this.#pkmapCount[nr] !== 1) continue;
      this.#pkmapCount[nr] = 0;
      this.clearKernelPte(cpu, this.pkmapVpn(nr));
      this.#pkmapOf.delete(this.pkmapPfn[nr]);
      this.pkmapPfn[nr] = -1;
      flush = true;
    }
    if (flush) {
      this.pkmapWrapFlushes++;
      this.flushTlbKernelRange(cpu, this.pkmapBase, this.pkmapPages);
    }
  }
}
