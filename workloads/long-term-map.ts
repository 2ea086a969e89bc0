/**
 * long-term-map: mappings held for a long time and across sleeps (ring buffers, long-lived
 * metadata), where kmap is not meant to be used and vmap is.
 *
 * Kernel path modelled: a subsystem maps a multi-page buffer once (a trace or perf ring
 * buffer, an XFS buffer mapped with vm_map_ram, a driver's descriptor ring) and then
 * appends records to it for a long time, sleeping between bursts (waiting for I/O or for a
 * consumer) while the mapping stays live. Now and then the buffer is retired and a new one
 * mapped. Twice as many threads as CPUs by default, so a sleeping holder's CPU runs
 * another thread (context switches with a mapping held).
 *
 * Grounding: LWN 894531 (LSFMM 2022): vmap "could make long-term mappings, for which kmap()
 * is not intended, work better" (Weiny), and Wilcox's "it should be possible to make
 * vmap() more efficient"; Weiny's V10 cover letter: "kmap was never really intended to
 * create a long term mapping" (kernel-mechanics.md §6.5); Dave Chinner on the XFS buffer
 * cache using vm_map_ram() for multi-page buffers (20220818002521.GB3144495@dread.disaster.area,
 * discussion-history.md §1.5).
 *
 * One `complete` per record appended.
 */
import { defineWorkload, type Operation } from "./api.ts";
import * as spec from "./common/params.ts";
import { handleOf, jitter, keyedPool } from "./common/streams.ts";

export default defineWorkload({
  name: "long-term-map",
  version: "1.0.0",
  summary: "Ring buffers mapped once and written for a long time, across sleeps (vmap territory)",
  citation:
    "LWN 894531 (vmap for long-term mappings); Weiny V10 cover 20220419170649.1022246-1-ira.weiny@intel.com; Chinner 20220818002521.GB3144495@dread.disaster.area",
  params: {
    records: spec.perThread(200, "records/thread", "Records each thread appends."),
    threads: spec.TWO_PER_CPU_THREADS,
    ring_pages: {
      default: 8,
      unit: "pages",
      description: "Pages per ring buffer (one long-term mapping).",
      min: 1,
      max: 1024,
    },
    record_bytes: {
      default: 200,
      unit: "bytes",
      description: "Bytes per record; records that do not fit the page remainder straddle pages.",
      min: 1,
      max: 65_536,
    },
    records_per_sleep: {
      default: 16,
      unit: "records",
      description: "Records appended between sleeps.",
      min: 1,
      max: 1_000_000,
    },
    sleep_cycles: spec.cycles(
      20_000,
      "Mean sleep with the mapping held (I/O wait, consumer wake-up).",
      1_000_000_000,
    ),
    records_per_map: {
      default: 100,
      unit: "records",
      description: "Records written before the ring is retired and a new one mapped.",
      min: 1,
      max: 1_000_000_000,
    },
    record_cycles: spec.cycles(400, "Mean unrelated work per record (formatting, timestamps)."),
    touches: spec.touches(2, "Reads of unprotected kernel memory per record."),
    pages: spec.pages(1024, "Protected region the rings are carved from."),
    ...spec.strayParams(),
  },
  // Physical layout is not what this workload is about: one keyed pool, one split at setup.
  region: keyedPool("access-disable"),
  threads: spec.threadsOrPerCpu(2),
  *generate({ thread, threads, rng, params }): Generator<Operation> {
    const ringPages = Math.min(params.ring_pages, params.pages);
    const recordBytes = Math.min(params.record_bytes, ringPages * 4096);
    const ringBytes = ringPages * 4096;
    let next = 0;
    let handle = -1;
    let head = 0;
    for (let i = 0; i < params.records; i++) {
      if (i % params.records_per_map === 0) {
        if (handle >= 0) yield { kind: "unmap", handle };
        handle = handleOf(thread, threads, next++);
        const page = rng.int(0, params.pages - ringPages);
        yield {
          kind: "map",
          handle,
          page,
          count: ringPages,
          intent: "write",
          scope: "long-term",
          context: "sleepable",
        };
        head = 0;
      }
      yield { kind: "compute", cycles: jitter(rng, params.record_cycles), touches: params.touches };
      if (head + recordBytes > ringBytes) head = 0;
      yield { kind: "access", handle, offset: head, length: recordBytes, write: true };
      head += recordBytes;
      yield { kind: "complete" };
      if ((i + 1) % params.records_per_sleep === 0)
        yield { kind: "sleep", cycles: jitter(rng, params.sleep_cycles) };
    }
    if (handle >= 0) yield { kind: "unmap", handle };
  },
});
