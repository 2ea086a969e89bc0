/**
 * cross-cpu-handoff: a mapping made on one CPU and used on another: a `kmap()` address
 * handed to a work item. Where per-CPU (per-thread) PKS breaks legitimate code.
 *
 * Kernel path modelled: a submitter maps a protected page with global scope (`kmap()`),
 * fills it, and queues a work item; a worker on another CPU picks the address up, reads
 * (and sometimes updates) the page, and unmaps it when done. Threads come in pairs: thread
 * 2k produces on CPU 2k, thread 2k+1 consumes on CPU 2k+1 and accesses the producer's
 * handle. The work item is queued after the fill; since a map is visible to `wait-for` as
 * soon as it is made, the consumer takes item k once the producer has mapped item k+1
 * (which its stream does after filling item k).
 *
 * Grounding: Wilcox, Sept 2020: "people might use kmap() and then pass the address to a
 * different task. So we need to audit the current users of kmap() and convert any that do
 * that into using vmap() instead" (20200919173906.GQ32101@casper.infradead.org,
 * discussion-history.md §1.1); Weiny V10: "kmap() allows for a mapping to be shared with
 * other threads, while PKS protections operate on a thread local basis … Calling kmap() on
 * a PMEM protected page is allowed but accessing that mapping will cause a fault"
 * (kernel-mechanics.md §6.5); Weiny's Oct 2020 kmap_thread() census: ~20–30 global kmap
 * users out of ~209 sites (discussion-history.md §1.2).
 *
 * One `complete` per item consumed.
 */
import { defineWorkload, type Operation } from "./api.ts";
import * as spec from "./common/params.ts";
import { handleOf, jitter, keyedPool, PAGE_BYTES } from "./common/streams.ts";

export default defineWorkload({
  name: "cross-cpu-handoff",
  version: "1.0.0",
  summary: "kmap() addresses handed from a submitting CPU to a worker on another CPU",
  citation:
    "Wilcox 20200919173906.GQ32101@casper.infradead.org (kmap addresses passed to other tasks); Weiny V10 20220419170649.1022246-1-ira.weiny@intel.com (kmap() unsupported under PKS)",
  params: {
    items: spec.perThread(300, "items/pair", "Items each producer hands to its consumer."),
    threads: {
      default: 0,
      unit: "threads",
      description:
        "Threads, in producer/consumer pairs (rounded down to even, at least 2); 0 = one per CPU.",
      min: 0,
      max: 65_536,
    },
    pages: spec.pages(2048, "Protected region the handed pages come from."),
    item_bytes: {
      default: PAGE_BYTES,
      unit: "bytes",
      description: "Bytes the producer fills and the consumer reads per item.",
      min: 1,
      max: PAGE_BYTES,
    },
    consumer_write_ratio: spec.ratio(
      0.3,
      "Fraction of items the consumer also updates (completion status, checksums).",
    ),
    produce_cycles: spec.cycles(
      3000,
      "Mean unrelated work per item on the producer (request set-up, queue_work).",
    ),
    consume_cycles: spec.cycles(
      1500,
      "Mean unrelated work per item on the consumer (work item dispatch, completion).",
    ),
    touches: spec.touches(4, "Reads of unprotected kernel memory per item on each side."),
    ...spec.strayParams(),
  },
  // Physical layout is not what this workload is about: one keyed pool, one split at setup.
  region: keyedPool("access-disable"),
  threads: (params, cpus) => {
    const threads = params.threads || cpus;
    return Math.max(2, threads - (threads % 2));
  },
  *generate({ thread, threads, rng, params }): Generator<Operation> {
    const producer = thread % 2 === 0;
    for (let k = 0; k < params.items; k++) {
      if (producer) {
        const handle = handleOf(thread, threads, k);
        yield {
          kind: "compute",
          cycles: jitter(rng, params.produce_cycles),
          touches: params.touches,
        };
        yield {
          kind: "map",
          handle,
          page: rng.int(0, params.pages - 1),
          count: 1,
          intent: "write",
          scope: "global",
          // kmap() calls might_sleep(): a sleepable caller.
          context: "sleepable",
        };
        yield { kind: "access", handle, offset: 0, length: params.item_bytes, write: true };
      } else {
        const handle = handleOf(thread - 1, threads, k);
        // The item is queued after the fill. A map is visible at once, so waiting for
        // item k itself could overtake the producer's fill; its map of item k+1 comes
        // after that fill in its stream. The last item has no successor to wait for.
        const queued = k + 1 < params.items ? handleOf(thread - 1, threads, k + 1) : handle;
        yield { kind: "wait-for", handle: queued };
        yield { kind: "access", handle, offset: 0, length: params.item_bytes, write: false };
        if (rng.chance(params.consumer_write_ratio)) {
          yield {
            kind: "access",
            handle,
            offset: 0,
            length: Math.min(64, params.item_bytes),
            write: true,
          };
        }
        yield { kind: "unmap", handle };
        yield {
          kind: "compute",
          cycles: jitter(rng, params.consume_cycles),
          touches: params.touches,
        };
        yield { kind: "complete" };
      }
    }
  },
});
