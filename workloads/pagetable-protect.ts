/**
 * pagetable-protect: page-table pages write-protected by a protection key, Rick Edgecombe's
 * RFC.
 *
 * Kernel path modelled: every page-table setter (native_set_pte, ptep_get_and_clear,
 * ptep_set_wrprotect, ...) is wrapped as `enable_pgtable_write(); WRITE_ONCE(...);
 * disable_pgtable_write();`, so each PTE update is its own write window on the local CPU.
 * Table pages come from a "grouped pages" cache refilled in 2 MiB chunks whose direct-map
 * entries carry the key (default write-disable), hence a physically contiguous region.
 * Updates come in bursts on many CPUs:
 * - the fault path: an anonymous fault sets one PTE; a file fault with fault-around sets
 *   up to `fault_around` PTEs of one table; now and then a new table page is zeroed (the
 *   memset in alloc_table_node, also bracketed);
 * - the mmap/munmap/mprotect paths: zap_pte_range/change_pte_range update a run of
 *   consecutive PTEs, possibly spilling into another table page.
 *
 * Reads need no bracket (the key is write-disable): the page walkers read page-table pages
 * through the direct map with no map call at all (`direct-read` operations, on by default
 * with `table_reads`): the fault path's walk (pmd_offset(), pte_offset_map() and the
 * pte_none() check in do_anonymous_page), zap_pte_range()/change_pte_range() reading each
 * entry before updating it, and GUP-fast (mm/gup.c lockless_pages_from_mm() ->
 * gup_pte_range(), ptep_get_lockless()). On x86-64 pte_offset_map() is pte_offset_kernel(),
 * a direct-map address (no HIGHPTE). The hardware walker reads by physical address and is
 * not affected; a design that removes table pages from the direct map breaks these
 * software reads unless it maps them, and the run counts them in
 * `compat.broken_direct_reads`.
 *
 * Grounding: "[RFC PATCH v2 00/19] PKS write protected page tables", Rick Edgecombe,
 * 30 Aug 2021, 20210830235927.6443-1-rick.p.edgecombe@intel.com, patch 16/19
 * 20210830235927.6443-17-rick.p.edgecombe@intel.com (kernel-mechanics.md §7): the setter
 * wrapping, PKS_KEY_PG_TABLES defaulting to WD, the 2 MiB grouped cache. Fault-around
 * default 64 KiB (fault_around_bytes) is 16 PTEs. The RFC posted no performance data
 * (v1: "I don't have any actual performance data yet"), so the per-path work is a
 * parameter: the minor-fault cost rule of thumb is ~3,241 cycles (cost-references.md P32,
 * unverified).
 *
 * One `complete` per fault or per range operation.
 */
import type { OpContext } from "../core/contract/strategy.ts";
import { defineWorkload, type Operation } from "./api.ts";
import * as spec from "./common/params.ts";
import { handleOf, jitter, mapAccessUnmap, pageTablePool } from "./common/streams.ts";

/** PTEs per page-table page (x86-64, 8-byte entries). */
const PTRS_PER_PTE = 512;
const PTE_BYTES = 8;

export default defineWorkload({
  name: "pagetable-protect",
  version: "1.0.0",
  summary: "Bursts of PTE updates on fault and mmap paths, each bracketed by enable/disable",
  citation:
    "Edgecombe, [RFC PATCH v2 00/19] PKS write protected page tables, 20210830235927.6443-1-rick.p.edgecombe@intel.com (kernel-mechanics.md §7)",
  params: {
    ops: spec.perThread(40, "ops/thread", "Faults and range operations each thread performs."),
    threads: spec.THREADS,
    pages: spec.pages(
      1024,
      "Page-table pages in the protected pool (two 2 MiB grouped-cache chunks).",
      2,
    ),
    fault_ratio: spec.ratio(
      0.8,
      "Fraction of operations that are page faults (the rest are mmap/munmap/mprotect ranges).",
    ),
    fault_around: {
      default: 16,
      unit: "PTEs",
      description: "Most PTEs a file fault maps at once (fault_around_bytes 64 KiB / 4 KiB).",
      min: 1,
      max: PTRS_PER_PTE,
    },
    anon_ratio: spec.ratio(
      0.5,
      "Fraction of faults that are anonymous (one PTE); the rest use fault-around.",
    ),
    range_ptes: {
      default: 32,
      unit: "PTEs",
      description: "Mean PTEs a range operation updates (uniform on [1, 2*mean-1]).",
      min: 1,
      max: 4096,
    },
    table_alloc_ratio: spec.ratio(
      0.05,
      "Fraction of faults that first allocate and zero a new page-table page.",
    ),
    fault_cycles: spec.cycles(
      2500,
      "Mean unrelated work per fault (entry, VMA lookup, page allocation); ~P32 [R].",
    ),
    range_cycles: spec.cycles(
      3000,
      "Mean unrelated work per range operation (syscall, VMA split/merge, rmap).",
    ),
    table_reads: {
      default: true,
      unit: "-",
      description:
        "Model the reads of page-table pages made with no map call: the fault path's walk (pmd_offset(), then pte_offset_map() and the pte_none() check), zap/change_pte_range reading each PTE before updating it, and GUP-fast (ptep_get_lockless() through pte_offset_map()); on x86-64 these are direct-map addresses.",
    },
    gup_fast_ratio: spec.ratio(
      0.1,
      "Fraction of operations preceded by a get_user_pages_fast() walk (one PMD read, then `fault_around` PTE reads in one table); a shape parameter, no published rate.",
    ),
    touches: spec.touches(
      8,
      "Reads of unprotected kernel memory per operation (mm, VMA tree, struct pages).",
    ),
    ...spec.strayParams(),
  },
  region: pageTablePool,
  threads: spec.threadCount,
  *generate({ thread, threads, rng, params }): Generator<Operation> {
    let next = 0;

    /** A walker reading `bytes` of table `page` at `offset` through the direct map: no map call. */
    function* walkRead(page: number, offset: number, bytes: number): Generator<Operation> {
      if (params.table_reads) yield { kind: "direct-read", page, offset, length: bytes };
    }

    /** The upper levels of a walk: the PMD entry, in another table page of the pool. */
    function* walkUpper(): Generator<Operation> {
      yield* walkRead(
        rng.int(0, params.pages - 1),
        rng.int(0, PTRS_PER_PTE - 1) * PTE_BYTES,
        PTE_BYTES,
      );
    }

    /**
     * One bracketed write: enable, write `bytes` at `offset` of table `page`, disable.
     * `context`: PTE setters run under the page-table lock (pte_offset_map_lock() in
     * do_anonymous_page, filemap_map_pages, zap_pte_range, change_pte_range; mm/memory.c,
     * mm/filemap.c, mm/mprotect.c in 6.1), so they are atomic; zeroing a freshly allocated
     * table page happens in the allocation path (pte_alloc_one(), GFP_KERNEL), sleepable.
     */
    function* bracketed(
      page: number,
      offset: number,
      bytes: number,
      context: OpContext,
    ): Generator<Operation> {
      const handle = handleOf(thread, threads, next++);
      const map = { page, count: 1, intent: "write", scope: "local", context } as const;
      yield* mapAccessUnmap(handle, map, offset, bytes, true);
    }

    /** `count` consecutive PTE updates from a random slot; a run past the end of a table continues in another table. */
    function* run(count: number): Generator<Operation> {
      let page = rng.int(0, params.pages - 1);
      let slot = rng.int(0, PTRS_PER_PTE - 1);
      for (let i = 0; i < count; i++) {
        if (slot === PTRS_PER_PTE) {
          page = rng.int(0, params.pages - 1);
          slot = 0;
        }
        // The walker reads the old entry (pte_none()/`ptent = *pte`), then the setter writes.
        yield* walkRead(page, slot * PTE_BYTES, PTE_BYTES);
        yield* bracketed(page, slot * PTE_BYTES, PTE_BYTES, "atomic");
        slot++;
      }
    }

    for (let i = 0; i < params.ops; i++) {
      if (params.table_reads && rng.chance(params.gup_fast_ratio)) {
        // GUP-fast: lockless_pages_from_mm() -> gup_pte_range(), no lock and no map call.
        yield* walkUpper();
        const page = rng.int(0, params.pages - 1);
        const ptes = Math.min(params.fault_around, PTRS_PER_PTE);
        const slot = rng.int(0, PTRS_PER_PTE - ptes);
        yield* walkRead(page, slot * PTE_BYTES, ptes * PTE_BYTES);
      }
      if (rng.chance(params.fault_ratio)) {
        yield {
          kind: "compute",
          cycles: jitter(rng, params.fault_cycles),
          touches: params.touches,
        };
        if (rng.chance(params.table_alloc_ratio)) {
          // A fresh table page: zeroed inside the bracket (alloc_table_node's memset).
          yield* bracketed(rng.int(0, params.pages - 1), 0, 4096, "sleepable");
        }
        const ptes = rng.chance(params.anon_ratio) ? 1 : rng.int(1, params.fault_around);
        yield* walkUpper(); // __handle_mm_fault(): pmd_offset() before pte_offset_map_lock()
        yield* run(ptes);
      } else {
        yield {
          kind: "compute",
          cycles: jitter(rng, params.range_cycles),
          touches: params.touches,
        };
        yield* walkUpper(); // zap_pmd_range()/change_pmd_range() read the PMD entry
        yield* run(rng.int(1, 2 * params.range_ptes - 1));
      }
      yield { kind: "complete" };
    }
  },
});
