/**
 * btrfs-debug-ro: metadata pages kept read-only to catch whoever modifies them outside the
 * legitimate paths (Chris Mason's btrfs debugging use of PKS).
 *
 * Kernel path modelled: the btrfs-metadata search stream (see metadata.ts; 16 KiB
 * extent buffers, helpers crossing page boundaries), but the region's key is
 * write-disabled: reads are always allowed, and only the legitimate modification path
 * (a leaf modified under a write-intent mapping) lifts write protection. Readers take the
 * cheapest legal path (`reads = api`): 6.1's helpers read page_address() directly, which a
 * WD key or a read-only direct map still allows, so a read-only visit makes no map call
 * and costs no PKRS write or alias; only a design that removes the pages from the direct
 * map (no-direct-map) makes readers map. `reads = map` has every reader call the API. Everything else
 * that writes a metadata page is a bug to catch. The coverage model injects those writes
 * (by default only the write classes; stray-read is no bug here): a stray write that faults
 * is a catch, and the run reports `coverage.caught` plus, in `RunResult.catches`, each
 * catch attributed to the CPU that made it, the kind of stray write, and the operation the
 * CPU was executing (the equivalent of the oops backtrace Mason's patch produces).
 *
 * Grounding: LWN 894531 (LSFMM 2022): "Chris Mason said that Btrfs developers have a
 * debugging patch that makes pages read-only so that they can look at the resulting crashes
 * and see who is modifying pages when they shouldn't be. PKS would be a useful way to
 * implement this functionality." Write-disable keys: Edgecombe's PKS_KEY_PG_TABLES default
 * WD (kernel-mechanics.md §6.1). The search shape: kernel-mechanics.md §8.2.
 *
 * One `complete` per search.
 */
import { defineWorkload, type Operation } from "../api.ts";
import * as spec from "../common/params.ts";
import { ebRegion, SEARCH_PARAMS, searchShape, searchStream } from "./search.ts";

export default defineWorkload({
  name: "btrfs-debug-ro",
  version: "1.0.0",
  summary:
    "Read-only btrfs metadata (write-disable key): catch and attribute illegal modifications",
  citation:
    "LWN 894531 (Chris Mason's read-only metadata debugging patch at LSFMM 2022); K:fs/btrfs/extent_io.c (kernel-mechanics.md §8.2)",
  params: {
    ...SEARCH_PARAMS,
    reads: {
      default: "api",
      unit: "-",
      description:
        "How read-only helpers reach a page: page-address reads page_address() with no map call (6.1's code; the WD key or a read-only direct map allows it); map calls the mapping API with read intent (pks-kmap's v10 kmap_local_page() has no intent and opens read-write; kmap-local-range takes the intent and does not lift; vmap-alias uses the read-only direct map); api = page-address where the strategy leaves the direct map readable (directMapReads), else map.",
      choices: ["api", "page-address", "map"],
    },
    ...spec.strayParams({
      every: 10,
      mix: ["wild-direct", "window-same-cpu", "use-after-unmap", "overflow", "cross-cpu-stale"],
    }),
  },
  region: ebRegion("write-disable"),
  threads: spec.threadCount,
  generate(context): Iterable<Operation> {
    const { params, strategyMapsRanges, strategyDirectMapReads } = context;
    const shape = searchShape(params, strategyMapsRanges, strategyDirectMapReads);
    return searchStream(context, params.searches, shape);
  },
});
