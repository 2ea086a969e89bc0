/**
 * tlb-flush-bench: the shape of will-it-scale's tlb_flush2 threads test, the benchmark of
 * AMD's INVLPGB series (cost-references.md E17). Threads of one process each map a private
 * 1 MiB anonymous region, and for each page in turn write it (an anonymous fault installs
 * a PTE), discard it with madvise(MADV_DONTNEED) (zap_page_range: the PTE is cleared and
 * flush_tlb_mm_range() flushes that page on every CPU of the process), then read it again
 * (a fault maps the zero page); one loop per page. After the last page the region is
 * unmapped (a range flush above the 33-page ceiling: a full flush of the mm).
 *
 * Every madvise is a one-page shootdown to all the other threads' CPUs: with
 * machine.broadcast=ipi that is an IPI to each, with invlpgb one INVLPGB and a TLBSYNC.
 * The page allocation, LRU and zeroing work around the faults (lru_add_drain, which the
 * same series also changed) is one parameter, not modelled in detail.
 *
 * Page-table pages are the protected region, as in pagetable-protect.
 * One `complete` per loop (will-it-scale's iteration counter).
 */
import { defineWorkload, type Operation } from "./api.ts";
import * as spec from "./common/params.ts";
import { jitter, pageTablePool, syscall } from "./common/streams.ts";

/** Pages of each thread's region (1 MiB). */
const REGION_PAGES = 256;

export default defineWorkload({
  name: "tlb-flush-bench",
  version: "1.0.0",
  summary:
    "will-it-scale tlb_flush2 threads: write, madvise(DONTNEED) and re-read each page of a private mapping; one-page shootdowns of the whole process",
  citation:
    "will-it-scale tlb_flush2 (threads mode), as run for Rik van Riel's AMD broadcast TLB invalidation series v13, 2025-02-23, Message-ID 20250223194943.3518952-1-riel@surriel.com (cost-references.md E17, RIK25); Linux 6.1 mm/madvise.c madvise_dontneed_single_vma -> zap_page_range, arch/x86/mm/tlb.c flush_tlb_mm_range",
  params: {
    loops: spec.perThread(
      512,
      "loops/thread",
      "Iterations (pages written, discarded and re-read) each thread makes.",
    ),
    threads: spec.THREADS,
    pages: spec.pages(1024, "Page-table pages in the protected pool.", 16),
    fault_cycles: spec.cycles(
      1500,
      "Anonymous-fault handler work besides entry/exit and the PTE write (page allocation and zeroing, LRU and rmap); placeholder.",
    ),
    madvise_cycles: spec.cycles(
      800,
      "madvise work besides the PTE clear and the flush (VMA lookup, mmap_lock, freeing the page, lru_add_drain); placeholder.",
    ),
    user_cycles: spec.cycles(50, "User-mode time per loop."),
    ...spec.strayParams(),
  },
  region: pageTablePool,
  threads: spec.threadCount,
  *generate({ thread, rng, params }): Generator<Operation> {
    yield { kind: "use-mm", mm: 1 };
    // Each thread's region in its own 2 MiB (its own page-table page).
    const base = (thread + 1) * 512;
    for (let i = 0; i < params.loops; i++) {
      const offset = i % REGION_PAGES;
      const page = base + offset;
      // Loop overhead varies a little from loop to loop (the only random part of the stream).
      yield { kind: "user", cycles: jitter(rng, params.user_cycles) };
      yield { kind: "touch", page, write: true, anon: true, cycles: params.fault_cycles };
      yield* syscall([
        { kind: "compute", cycles: params.madvise_cycles, touches: 0 },
        { kind: "zap", page, count: 1, mode: "clear" },
      ]);
      yield { kind: "touch", page, write: false, anon: true, cycles: params.fault_cycles };
      yield { kind: "complete" };
      if (offset === REGION_PAGES - 1) {
        // munmap of the 1 MiB region and the next mmap.
        yield* syscall([{ kind: "zap", page: base, count: REGION_PAGES, mode: "clear" }]);
      }
    }
  },
});
