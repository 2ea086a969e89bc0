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
import { jitter, strayParams, THREADS_PARAM, threadCount } from "./params.ts";

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
    loops: {
      default: 512,
      unit: "loops/thread",
      description: "Iterations (pages written, discarded and re-read) each thread makes.",
      min: 1,
      max: 10_000_000,
    },
    threads: THREADS_PARAM,
    pages: {
      default: 1024,
      unit: "pages",
      description: "Page-table pages in the protected pool.",
      min: 16,
      max: 1 << 20,
    },
    fault_cycles: {
      default: 1500,
      unit: "cycles",
      description:
        "Anonymous-fault handler work besides entry/exit and the PTE write (page allocation and zeroing, LRU and rmap); placeholder.",
      min: 0,
      max: 10_000_000,
    },
    madvise_cycles: {
      default: 800,
      unit: "cycles",
      description:
        "madvise work besides the PTE clear and the flush (VMA lookup, mmap_lock, freeing the page, lru_add_drain); placeholder.",
      min: 0,
      max: 10_000_000,
    },
    user_cycles: {
      default: 50,
      unit: "cycles",
      description: "User-mode time per loop.",
      min: 0,
      max: 10_000_000,
    },
    ...strayParams(),
  },
  region: (params) => ({
    pages: params.pages,
    keyMode: "write-disable",
    contiguous: true,
  }),
  threads: threadCount,
  *generate({ thread, rng, params }): Generator<Operation> {
    const loops = params.loops;
    const faultCycles = params.fault_cycles;
    const madviseCycles = params.madvise_cycles;
    const userCycles = params.user_cycles;
    yield { kind: "use-mm", mm: 1 };
    // Each thread's region in its own 2 MiB (its own page-table page).
    const base = (thread + 1) * 512;
    for (let i = 0; i < loops; i++) {
      const offset = i % REGION_PAGES;
      const page = base + offset;
      // Loop overhead varies a little from loop to loop (the only random part of the stream).
      yield { kind: "user", cycles: jitter(rng, userCycles) };
      yield { kind: "touch", page, write: true, anon: true, cycles: faultCycles };
      yield { kind: "kernel-entry", via: "syscall" };
      yield { kind: "compute", cycles: madviseCycles, touches: 0 };
      yield { kind: "zap", page, count: 1, mode: "clear" };
      yield { kind: "kernel-exit" };
      yield { kind: "touch", page, write: false, anon: true, cycles: faultCycles };
      yield { kind: "complete" };
      if (offset === REGION_PAGES - 1) {
        // munmap of the 1 MiB region and the next mmap.
        yield { kind: "kernel-entry", via: "syscall" };
        yield { kind: "zap", page: base, count: REGION_PAGES, mode: "clear" };
        yield { kind: "kernel-exit" };
      }
    }
  },
});
