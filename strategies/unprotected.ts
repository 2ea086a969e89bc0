/**
 * unprotected: today's x86-64 kernel, the cost and coverage floor.
 *
 * Mechanism modelled: without CONFIG_HIGHMEM, `kmap_local_page()`, `kmap_atomic()` and
 * `kmap()` all return `page_address(page)`, pure arithmetic on the direct map
 * (PAGE_OFFSET + pfn · 4096), and their unmaps are empty on x86: no lock, no PTE write, no
 * TLB operation, no PKRS write (include/linux/highmem-internal.h, `#else CONFIG_HIGHMEM`
 * branch; kernel-mechanics.md 1.1, cost-references.md P37). Every mapping is therefore
 * global and permanent, and nothing about the region is protected: its pages stay
 * present and writable in the direct map.
 *
 * Simplifications: `kmap_atomic()`'s preempt_disable/pagefault_disable are not charged
 * (a few instructions; the model has no parameter for them).
 */

import { defineStrategy, type Mapping, type Outcome } from "./api.ts";
import { type HighmemMapState, highmemMap, highmemUnmap } from "./common/highmem.ts";
import { ok, sleepsInAtomic } from "./common/outcomes.ts";
import { consecutive, directMapVpns } from "./common/pages.ts";

export default defineStrategy({
  name: "unprotected",
  version: "1.0.0",
  summary: "Today's x86-64 kernel: kmap*() is page_address(); nothing is protected (the floor).",
  citation:
    "include/linux/highmem-internal.h (!CONFIG_HIGHMEM): kmap_local_page()/kmap()/kmap_atomic() return page_address(); kernel-mechanics.md 1.1; cost-references.md P37",
  options: {},
  costs: {},
  supports: { local: true, global: true, longTerm: true },
  restoresProtection: false,
  mapsRanges: true,
  directMapReads: true,
  create({ machine }) {
    let mappings = 0;
    let highMaps = 0;
    return {
      onSetup: () => ok(),
      onPagesProtect: () => ok(),
      onPagesRelease: () => ok(),
      onMap(request): Outcome<Mapping<HighmemMapState>> {
        mappings++;
        const { cpu, thread, pfns } = request;
        if (pfns.every((pfn) => machine.inDirectMap(pfn))) {
          const vpns = directMapVpns(pfns);
          return ok({ vpns, contiguous: consecutive(vpns) });
        }
        // HIGHMEM: a high page is reached only through kmap (CONFIG_HIGHMEM paths of
        // include/linux/highmem-internal.h): kmap_local_page() for a local caller, kmap()
        // (which may sleep) for a global or long-term one.
        highMaps++;
        if (request.scope === "local") return highmemMap(machine, thread, cpu, pfns, "kmap-local");
        if (request.context === "atomic") {
          return sleepsInAtomic(
            "kmap()",
            "include/linux/highmem-internal.h: kmap() calls might_sleep()",
          );
        }
        return highmemMap(machine, thread, cpu, pfns, "kmap");
      },
      onUnmap(request) {
        const state = request.mapping.state;
        if (state)
          highmemUnmap(machine, request.thread, request.cpu, request.mapping.vpns, state.via);
        return ok();
      },
      onFinish: (): Readonly<Record<string, number>> =>
        machine.arch === "x86-64"
          ? { mappings }
          : {
              mappings,
              high_maps: highMaps,
              pkmap_hits: machine.pkmapHits,
              pkmap_installs: machine.pkmapInstalls,
              pkmap_wrap_flushes: machine.pkmapWrapFlushes,
            },
    };
  },
});
