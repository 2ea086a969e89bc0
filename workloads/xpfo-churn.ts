/**
 * xpfo-churn: pages allocated to and freed from user space, leaving and rejoining the
 * kernel's direct map: the shape of the XPFO experiment, used to validate the model
 * against the published XPFO results.
 *
 * Kernel path modelled: eXclusive Page Frame Ownership. A page handed to user space (a
 * fault in a short-lived compiler process, say) is taken out of the kernel's reach
 * (`protect-pages`: XPFO unmaps it from the physmap; a PKS strategy gives it a key); while
 * user-owned the kernel sometimes has to touch it legitimately (copy-on-write, pipe and
 * direct I/O through get_user_pages + kmap), which needs an explicit local mapping; when the
 * process exits the page is freed and rejoins the direct map (`release-pages`). Around that
 * the kernel does the ordinary system-time work of a page's life (fault handling, zeroing,
 * rmap, freeing), as `compute`. The experiment's metric is kernel (system) time, which is
 * `cost.total_cycles` here; compare strategies by its ratio to `unprotected`.
 *
 * Flushing. What the published numbers vary is how many TLB shootdowns a page costs:
 * - E1/E2 "XPFO": a flush on every allocation: 26.37× system time on 96 cores, 2.61× on 4;
 * - E1–E3 "deferred flush" (a per-CPU flush-pending flag checked at context switch) and
 *   v8's "batch update" (pages leave the direct map in per-CPU free-list refill batches,
 *   one flush per batch): 1.32–1.33× on 96 cores, 1.31× on 4; v9 1.28×/1.27× (E4).
 * The workload decides what the kernel asks for; the strategy decides how it flushes. So
 * `flush` is a workload parameter that fixes the *grouping* of ownership changes: `eager`
 * hands pages to user space one at a time (one protect-pages of one page per allocation,
 * so a strategy that flushes per call flushes per page: the E1/E2 shape); `batched`
 * moves `batch` pages per protect-pages/release-pages call, as a per-CPU free-list refill
 * does (XPFO v8's batch update, E3), so a strategy that flushes once per call amortises the
 * shootdown over the batch. Deferral to context switch is a flush *mechanism*, so it
 * belongs to the strategy, not to the workload. no-direct-map flushes once per
 * protect-pages call (secretmem's one-page flush for `eager`, XPFO v8's batched update for
 * `batched`); it has no deferred mode, so the E1–E3 "deferred flush" rows have no
 * counterpart yet. Quick check with the default profile (60 pages per thread): eager,
 * no-direct-map vs unprotected: 2.9× on 4 CPUs, 34.7× on 96 (published 2.61×, 26.37×);
 * batched (31 pages) on 96 CPUs: 8.1× (published 1.32× with deferral and batching).
 *
 * Grounding: XPFO RFC v7/v8/v9, Khalid Aziz: cover.1547153058.git.khalid.aziz@oracle.com,
 * cover.1550088114.git.khalid.aziz@oracle.com, cover.1554248001.git.khalid.aziz@oracle.com
 * (cost-references.md E1–E4, kernel-mechanics.md §4.5). The per-page kernel work default
 * (~5,000 cycles) is a placeholder [R]: a minor fault is ~3,241 cycles (P32, unverified)
 * plus zeroing and freeing; the XPFO ratios are sensitive to it and it should be swept.
 *
 * Physical layout: user pages are scattered, and removing one from the direct map splits
 * the large leaves around it (6.1 never merges them back), so over a kernel build the
 * direct map ends up split around the churned pages. The default `contiguous=true` models
 * that steady state with a few splits at setup; `contiguous=false` pays a split per new
 * page (a one-off cost, reported in `setup.cycles` when done at setup).
 *
 * One `complete` per user page lifetime.
 */
import { defineWorkload, type Operation } from "./api.ts";
import * as spec from "./common/params.ts";
import { handleOf, jitter, keyedPool, mapAccessUnmap } from "./common/streams.ts";

export default defineWorkload({
  name: "xpfo-churn",
  version: "1.0.0",
  summary:
    "User pages leaving and rejoining the direct map (XPFO experiment shape), eager or batched",
  citation:
    "Khalid Aziz, XPFO RFC v7/v8/v9 (cover.1547153058/cover.1550088114/cover.1554248001.git.khalid.aziz@oracle.com); cost-references.md E1-E4; kernel-mechanics.md §4.5",
  params: {
    allocations: spec.perThread(
      300,
      "pages/thread",
      "User page lifetimes (allocate, use, free) each thread goes through.",
    ),
    threads: spec.THREADS,
    pages: spec.pages(8192, "Pages that cycle between the kernel and user space (the region)."),
    flush: {
      default: "eager",
      unit: "-",
      description:
        "eager: one protect-pages per page (a flush per allocation under a per-call flusher, E1/E2); batched: `batch` pages per call (per-CPU free-list refill, XPFO v8, E3).",
      choices: ["eager", "batched"],
    },
    batch: {
      default: 31,
      unit: "pages",
      description: "Pages per ownership change in batched mode (a per-CPU free-list refill batch).",
      min: 1,
      max: 4096,
    },
    kernel_access_ratio: spec.ratio(
      0.25,
      "Fraction of user pages the kernel also touches through a local mapping (COW, pipes, GUP).",
    ),
    kernel_cycles: spec.cycles(
      5000,
      "Mean system-time work per page lifetime besides protection (fault, zeroing, rmap, free) [R].",
    ),
    touches: spec.touches(
      8,
      "Reads of unprotected kernel memory per page lifetime (mm, VMA, struct page, per-CPU lists).",
    ),
    contiguous: {
      default: true,
      unit: "-",
      description:
        "Churned pages physically contiguous (steady state: their 2 MiB leaves split once); false scatters them, so the first removal of each page splits its own 1G/2M leaves.",
    },
    ...spec.strayParams(),
  },
  region: keyedPool("access-disable"),
  threads: spec.threadCount,
  *generate({ thread, threads, rng, params }): Generator<Operation> {
    const batched = params.flush === "batched";
    // Each thread (a CPU's page allocator) cycles through its own slice of the region.
    const slice = Math.max(1, Math.floor(params.pages / threads));
    const base = (thread * slice) % params.pages;
    const span = Math.min(slice, params.pages - base);
    const batch = batched ? Math.min(params.batch, span) : 1;
    let cursor = 0;
    let next = 0;
    let done = 0;
    while (done < params.allocations) {
      const count = Math.min(batch, params.allocations - done, span - cursor);
      const first = base + cursor;
      cursor = (cursor + count) % span;
      yield { kind: "protect-pages", page: first, count };
      for (let i = 0; i < count; i++) {
        const page = first + i;
        if (rng.chance(params.kernel_access_ratio)) {
          const handle = handleOf(thread, threads, next++);
          const write = rng.chance(0.5);
          const map = {
            page,
            count: 1,
            intent: write ? "write" : "read",
            scope: "local",
            context: "sleepable",
          } as const;
          yield* mapAccessUnmap(handle, map, 0, 4096, write);
        }
        yield {
          kind: "compute",
          cycles: jitter(rng, params.kernel_cycles),
          touches: params.touches,
        };
        yield { kind: "complete" };
      }
      yield { kind: "release-pages", page: first, count };
      done += count;
    }
  },
});
