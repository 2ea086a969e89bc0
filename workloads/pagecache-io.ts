/**
 * pagecache-io: file reads and writes copying 4 KiB page-cache pages, the commonest
 * kmap_local user.
 *
 * Kernel path modelled: read(2)/write(2) on a cached file: filemap_read →
 * copy_page_to_iter and generic_perform_write → copy_page_from_iter_atomic, which map each
 * page-cache page with kmap_local_page()/kmap_atomic() for the copy and unmap it right
 * after. A request covers `request_pages` pages at a random file position: full pages in
 * the middle, partial pages at the ends. Page-cache pages are scattered in physical memory
 * in today's kernel; a protected page cache would draw them from a pool whose direct-map
 * entries are keyed (or unmapped) in 2 MiB chunks, as Rapoport's __GFP_UNMAPPED cache
 * proposes to bound splits (20230308094106.227365-1-rppt@kernel.org, kernel-mechanics.md
 * §10), so the region is contiguous by default; `contiguous=false` scatters it.
 * The protection is access-disable: keeping the page cache unreadable by stray kernel code
 * is the confidentiality case (ASI-style page-cache unmapping).
 *
 * Grounding: Weiny's LSFMM 2022 topic proposal lists the page cache among PKS users
 * (http://mail.spinics.net/lists/linux-fsdevel/msg212804.html, discussion-history.md §1.2);
 * Wilcox, Sept 2025, on reusing the kmap infrastructure "to support things like unmapping
 * the pagecache to protect against spectre-eqsue attacks" (discussion-history.md §1.9);
 * kmap_local_page on x86-64 (`K:include/linux/highmem-internal.h`, kernel-mechanics.md §1.1).
 *
 * One `complete` per read or write request.
 */
import { defineWorkload, type Operation } from "./api.ts";
import * as spec from "./common/params.ts";
import { handleOf, jitter, keyedPool, mapAccessUnmap, PAGE_BYTES } from "./common/streams.ts";

export default defineWorkload({
  name: "pagecache-io",
  version: "1.0.0",
  summary: "read()/write() copying 4 KiB page-cache pages through kmap_local_page",
  citation:
    "Weiny LSFMM 2022 topic proposal (page cache as a PKS user); filemap_read/copy_page_to_iter with kmap_local_page (kernel-mechanics.md §1.1); discussion-history.md §1.9",
  params: {
    requests: spec.perThread(100, "requests/thread", "read/write requests each thread issues."),
    threads: spec.THREADS,
    pages: spec.pages(8192, "Cached file pages (protected region, 32 MiB by default).", 16),
    request_pages: {
      default: 4,
      unit: "pages",
      description: "Mean request size in pages (uniform on [1, 2*mean-1]); 4 = 16 KiB.",
      min: 1,
      max: 256,
    },
    write_ratio: spec.ratio(0.3, "Fraction of requests that are writes."),
    aligned_ratio: spec.ratio(0.7, "Fraction of requests that start and end on page boundaries."),
    request_cycles: spec.cycles(
      1200,
      "Mean unrelated work per request (syscall, page-cache lookup, accounting).",
    ),
    page_cycles: spec.cycles(
      150,
      "Extra work per page (xarray step, folio reference, user-copy set-up).",
      1_000_000,
    ),
    touches: spec.touches(
      6,
      "Reads of unprotected kernel memory per request (file, inode, xarray nodes).",
    ),
    contiguous: {
      default: true,
      unit: "-",
      description:
        "Cached pages come from a pool keyed in 2 MiB chunks (contiguous); false scatters them, and keying the region then splits a direct-map leaf per page at setup.",
    },
    ...spec.strayParams(),
  },
  region: keyedPool("access-disable"),
  threads: spec.threadCount,
  *generate({ thread, threads, rng, params }): Generator<Operation> {
    let next = 0;
    for (let i = 0; i < params.requests; i++) {
      const write = rng.chance(params.write_ratio);
      const count = Math.min(params.pages, rng.int(1, 2 * params.request_pages - 1));
      const first = rng.int(0, params.pages - count);
      const aligned = rng.chance(params.aligned_ratio);
      // Byte range within [first page, first + count pages).
      const head = aligned ? 0 : rng.int(0, PAGE_BYTES - 1);
      const tail = aligned ? 0 : rng.int(0, PAGE_BYTES - 1);
      const cycles = jitter(rng, params.request_cycles) + params.page_cycles * count;
      yield { kind: "compute", cycles, touches: params.touches };
      for (let p = 0; p < count; p++) {
        const start = p === 0 ? head : 0;
        const end = p === count - 1 ? PAGE_BYTES - tail : PAGE_BYTES;
        if (end <= start) continue;
        const handle = handleOf(thread, threads, next++);
        const map = {
          page: first + p,
          count: 1,
          intent: write ? "write" : "read",
          scope: "local",
          // Reads: copy_page_to_iter() maps with kmap_local_page() and may fault on the user
          // buffer (sleepable). Writes: generic_perform_write() copies with
          // copy_page_from_iter_atomic(), which maps with kmap_atomic() (page faults and
          // preemption disabled): atomic (lib/iov_iter.c, mm/filemap.c, 6.1).
          context: write ? "atomic" : "sleepable",
        } as const;
        yield* mapAccessUnmap(handle, map, start, end - start, write);
      }
      yield { kind: "complete" };
    }
  },
});
