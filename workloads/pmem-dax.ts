/**
 * pmem-dax: persistent memory protected against stray kernel writes, Ira Weiny's original
 * PKS use case.
 *
 * Kernel path modelled: a DAX file read or write (ext4/xfs on an fsdax namespace) copies a
 * 4 KiB block between the user buffer and PMEM. The PMEM pages carry the PGMAP key, which
 * is access-disabled by default (PKS_KEY_PGMAP_PROTECTION, initial AD); the kernel reaches a
 * block through `kmap_local_page()`/`dax_direct_access()`, which lift the key for the
 * current thread until the matching unmap. Requests arrive on every CPU.
 *
 * Grounding:
 * - "[PATCH V10 00/44] PKS/PMEM: Add Stray Write Protection", Ira Weiny, 19 Apr 2022,
 *   20220419170649.1022246-1-ira.weiny@intel.com: PMEM behind one key, access through the
 *   kmap_local hooks and dax_set_* helpers (kernel-mechanics.md §6.1, §6.5).
 * - LWN 894531 (LSFMM 2022): "the initial goal of Weiny's patch series is to use PKS to
 *   protect persistent memory against stray writes from the kernel".
 * - The namespace is one physically contiguous device range that memremap_pages() maps
 *   into the direct map at probe time (`memory: "device"`): a strategy puts its protection
 *   (the key, or a read-only/not-present mapping) on the entries as they are created
 *   (V10 "memremap_pages: Set PKS pkey in PTEs if requested"), so no RAM leaf is split.
 *
 * Shape per request (one `complete`): compute (syscall entry, iomap lookup, user copy
 * set-up, touching unprotected kernel memory) → map one block (local scope) → read or
 * write the whole 4 KiB → unmap. 5 stream operations per request.
 */
import { defineWorkload, type Operation } from "./api.ts";
import * as spec from "./common/params.ts";
import { handleOf, jitter, keyedPool, mapAccessUnmap, PAGE_BYTES } from "./common/streams.ts";

export default defineWorkload({
  name: "pmem-dax",
  version: "1.0.0",
  summary: "DAX reads and writes of 4 KiB PMEM blocks through kmap_local, from every CPU",
  citation:
    "Weiny, [PATCH V10 00/44] PKS/PMEM: Add Stray Write Protection, 20220419170649.1022246-1-ira.weiny@intel.com (kernel-mechanics.md §6.5); LWN 894531",
  params: {
    requests: spec.perThread(300, "requests/thread", "DAX block requests each thread issues."),
    threads: spec.THREADS,
    pages: spec.pages(4096, "Size of the PMEM namespace (protected region), in 4 KiB blocks."),
    write_ratio: spec.ratio(0.3, "Fraction of requests that write the block (the rest read it)."),
    request_cycles: spec.cycles(
      1500,
      "Mean unrelated kernel work per request (syscall, iomap/extent lookup, user copy set-up).",
    ),
    request_touches: spec.touches(
      6,
      "Reads of unprotected kernel memory per request (inode, extent tree, iov).",
    ),
    ...spec.strayParams(),
  },
  // A PMEM namespace: memremap_pages() maps it, with the protection from the start.
  region: keyedPool("access-disable", "device"),
  threads: spec.threadCount,
  *generate({ thread, threads, rng, params }): Generator<Operation> {
    for (let i = 0; i < params.requests; i++) {
      const handle = handleOf(thread, threads, i);
      const write = rng.chance(params.write_ratio);
      yield {
        kind: "compute",
        cycles: jitter(rng, params.request_cycles),
        touches: params.request_touches,
      };
      const map = {
        page: rng.int(0, params.pages - 1),
        count: 1,
        intent: write ? "write" : "read",
        scope: "local",
        // dax_iomap_rw() under dax_read_lock() (SRCU): may sleep.
        context: "sleepable",
      } as const;
      yield* mapAccessUnmap(handle, map, 0, PAGE_BYTES, write);
      yield { kind: "complete" };
    }
  },
});
