/**
 * mmap-sync: threads of one process writing random blocks of a shared file mapping and
 * syncing it, the shape of sysbench fileio with --file-io-mode=mmap (random writes,
 * --file-fsync-freq requests between syncs, fdatasync).
 *
 * Kernel paths (6.1): a write to a page whose PTE is absent or clean takes a write fault
 * (do_shared_fault / do_wp_page -> do_page_mkwrite: the PTE becomes writable and dirty, one
 * PTE write in a protected page table). The sync writes back every dirty page of the file
 * (filemap_write_and_wait_range -> write_cache_pages -> clear_page_dirty_for_io ->
 * page_mkclean -> page_vma_mkclean_one): per page, ptep_clear_flush() clears the PTE and
 * flush_tlb_page() -> flush_tlb_mm_range() flushes that one page on every CPU in the mm's
 * cpumask (every CPU running one of the threads), then set_pte_at() puts back a
 * write-protected clean PTE. That per-page shootdown is what `machine.flush` (serial or
 * concurrent) and `machine.broadcast` change.
 *
 * Page-table pages are the protected region (write-disable), as in pagetable-protect.
 * One `complete` per write request.
 */
import { defineWorkload, type Operation } from "./api.ts";
import * as spec from "./common/params.ts";
import { pageTablePool, syscall } from "./common/streams.ts";

/** User page where the file mapping starts. */
const FILE_BASE = 1 << 20;

export default defineWorkload({
  name: "mmap-sync",
  version: "1.0.0",
  summary:
    "Threads writing random blocks of a shared file mapping and syncing it: write faults, then per dirty page a PTE write-protect and a flush of the mm (sysbench fileio mmap)",
  citation:
    "sysbench fileio --file-io-mode=mmap --file-test-mode=rndwr with --file-fsync-freq and fdatasync (shape); Linux 6.1 mm/page-writeback.c write_cache_pages/clear_page_dirty_for_io, mm/rmap.c page_vma_mkclean_one (ptep_clear_flush), arch/x86/mm/tlb.c flush_tlb_mm_range",
  params: {
    requests: spec.perThread(400, "requests/thread", "Write requests each thread makes."),
    threads: {
      default: 8,
      unit: "threads",
      description: "sysbench --threads: threads of the one process sharing the mapping.",
      min: 1,
      max: 8192,
    },
    file_pages: {
      default: 4096,
      unit: "user pages",
      description: "Size of the mapped file (16 MiB).",
      min: 1,
      max: 1 << 20,
    },
    block_pages: {
      default: 4,
      unit: "user pages",
      description: "Pages per write request (sysbench --file-block-size 16 KiB).",
      min: 1,
      max: 512,
    },
    sync_every: {
      default: 100,
      unit: "requests",
      description: "Requests of a thread between its syncs (sysbench --file-fsync-freq=100).",
      min: 1,
      max: 1_000_000,
    },
    pages: spec.pages(256, "Page-table pages in the protected pool.", 16),
    fault_cycles: spec.cycles(
      1500,
      "Write-fault handler work besides entry/exit and the PTE write (page-cache lookup, page_mkwrite, file_update_time, set_page_dirty); placeholder.",
    ),
    writeback_cycles: spec.cycles(
      2000,
      "Write-back work per dirty page besides page_mkclean (page lock, bio setup and submission, completion); placeholder.",
      10_000_000,
      "cycles/page",
    ),
    user_cycles: spec.cycles(
      1000,
      "User-mode time per request (choosing the offset, memcpy of the block).",
    ),
    ...spec.strayParams(),
  },
  region: pageTablePool,
  threads: (params) => params.threads,
  *generate({ rng, params }): Generator<Operation> {
    const block = Math.min(params.block_pages, params.file_pages);
    yield { kind: "use-mm", mm: 1 };
    const blocks = Math.max(1, Math.floor(params.file_pages / block));
    let sinceSync = 0;
    for (let i = 0; i < params.requests; i++) {
      yield { kind: "user", cycles: params.user_cycles };
      const first = FILE_BASE + rng.int(0, blocks - 1) * block;
      for (let page = first; page < first + block; page++) {
        yield { kind: "touch", page, write: true, cycles: params.fault_cycles };
      }
      if (++sinceSync === params.sync_every) {
        sinceSync = 0;
        // The dirty pages are not known to the stream (other threads dirty them too): the
        // write-back cost is charged per page the engine write-protects, approximated here
        // by the pages this thread dirtied since its last sync.
        yield* syscall([
          {
            kind: "compute",
            cycles: params.writeback_cycles * params.sync_every * block,
            touches: 0,
          },
          { kind: "zap", page: FILE_BASE, count: params.file_pages, mode: "wrprotect" },
        ]);
      }
      yield { kind: "complete" };
    }
  },
});
