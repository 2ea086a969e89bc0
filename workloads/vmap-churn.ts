/**
 * vmap-churn: many threads mapping 1–4 pages, touching them and unmapping: the shape of
 * Nick Piggin's vmap microbenchmark and of lib/test_vmalloc, used to validate the model's
 * vmap allocator and TLB-flush models.
 *
 * Kernel path modelled: a tight kernel loop per thread: map `pages` pages into one
 * virtually contiguous range (global or long-term scope, i.e. the vmap()/vm_map_ram()
 * path for strategies that alias), touch them, unmap. No unrelated work in between, so
 * cycles per operation are the map+touch+unmap cost itself, as in the published figures:
 * - E8 (PIGGIN08, 20080819100208.GC10447@wotan.suse.de): "linearly mapping then touching
 *   then unmapping 4 pages", 1–8 threads on 2×4 Opteron cores: 14,700 → 70,631 ns/op with
 *   the old allocator, a flat ~2,900 ns/op with lazy purge and per-CPU blocks;
 * - E10/E11 (REZKI19, REZKI25): test_vmalloc fix_size_alloc_test = vmalloc(3 pages),
 *   write one byte, vfree, ~0.97 µs/op; 16 KiB single thread 0.91–1.16 µs/op. Run with
 *   `pages=3 touch=first source=vmalloc` (or 4) and `threads=1`: the pages are then
 *   allocated with each mapping and freed with it, as vmalloc()/vfree() do.
 * Defaults follow Piggin: 4 pages, every page touched, one thread per CPU; vary
 * `threads` (1, 2, 4, 8 on an 8-CPU machine) to reproduce the scaling curve.
 *
 * Grounding: cost-references.md E8, E10, E11, P33–P36; kernel-mechanics.md §3.
 *
 * One `complete` per map+touch+unmap.
 */
import { defineWorkload, type Operation } from "./api.ts";
import * as spec from "./common/params.ts";
import { handleOf } from "./common/streams.ts";

export default defineWorkload({
  name: "vmap-churn",
  version: "1.0.0",
  summary: "Threads looping map 1-4 pages / touch / unmap (Piggin vmap and test_vmalloc shape)",
  citation:
    "Piggin, Re: [patch] mm: rewrite vmap layer, 20080819100208.GC10447@wotan.suse.de (E8); lib/test_vmalloc.c figures REZKI19/REZKI25 (E10/E11); cost-references.md",
  params: {
    loops: spec.perThread(
      200,
      "loops/thread",
      "map+touch+unmap iterations each thread runs.",
      100_000_000,
    ),
    threads: spec.THREADS,
    pages: {
      default: 4,
      unit: "pages",
      description: "Pages per mapping (Piggin: 4; test_vmalloc fix_size: 3).",
      min: 1,
      max: 64,
    },
    fixed_size: {
      default: true,
      unit: "-",
      description: "Map exactly `pages` pages each time; false draws 1..pages uniformly.",
    },
    scope: {
      default: "long-term",
      unit: "-",
      description:
        "Scope asked for: long-term or global, i.e. the vmap path of aliasing strategies.",
      choices: ["long-term", "global", "local"],
    },
    source: {
      default: "vmap",
      unit: "-",
      description:
        "Where the mapped pages come from: vmap (pages the caller has: vmap()/vm_map_ram(), Piggin) or vmalloc (allocated with the mapping and freed with it: vmalloc()/vfree(), test_vmalloc).",
      choices: ["vmap", "vmalloc"],
    },
    touch: {
      default: "all",
      unit: "-",
      description: "Touch every mapped page (Piggin) or one byte of the first (test_vmalloc).",
      choices: ["all", "first"],
    },
    region_pages: spec.pages(1024, "Protected region the mapped pages come from.", 64),
    ...spec.strayParams(),
  },
  region: (params) => ({
    pages: params.region_pages,
    keyMode: "access-disable",
    contiguous: true,
  }),
  threads: spec.threadCount,
  *generate({ thread, threads, rng, params }): Generator<Operation> {
    const all = params.touch === "all";
    const allocate = params.source === "vmalloc";
    for (let i = 0; i < params.loops; i++) {
      const handle = handleOf(thread, threads, i);
      const count = params.fixed_size ? params.pages : rng.int(1, params.pages);
      const page = rng.int(0, params.region_pages - count);
      yield {
        kind: "map",
        handle,
        page,
        count,
        intent: "write",
        scope: params.scope,
        context: "sleepable",
        allocate,
      };
      const touched = all ? count : 1;
      for (let p = 0; p < touched; p++) {
        yield { kind: "access", handle, offset: p * 4096, length: all ? 8 : 1, write: true };
      }
      yield { kind: "unmap", handle };
      yield { kind: "complete" };
    }
  },
});
