/**
 * kmap-as-protection: on a 32-bit HIGHMEM machine, high memory has no direct-map entry, so
 * a protected region placed there is unreachable except while a caller holds a kmap of it.
 * Not mapping is the protection; the API is 6.1's own kmap family
 * (include/linux/highmem-internal.h, mm/highmem.c; kernel-mechanics.md 1.2 and 2). It is
 * the 32-bit counterpart of no-direct-map: XPFO's authors proposed reusing kmap_high for the
 * same purpose on 64-bit (kernel-mechanics.md 4.5).
 *
 * Mechanism modelled (Machine primitives kmapLocalPush/kmapLocalPop, kmapHigh/kunmapHigh):
 * - Scope `local`: kmap_local_page() per page: the next per-CPU fixmap slot (stack-ordered,
 *   KM_MAX_IDX = 16 per CPU, 15 nested per task), one PTE write, migration disabled;
 *   kunmap_local() clears the PTE and flushes that one entry on the local CPU
 *   (arch_kmap_local_post_unmap -> flush_tlb_one_kernel), LIFO. Works in atomic context.
 * - Scopes `global` and `long-term`: kmap() per page: kmap_high() under the global
 *   kmap_lock, the page's existing pkmap entry if it has one, else the next free one of
 *   LAST_PKMAP (512 with PAE), with flush_all_zero_pkmaps() (clear every unused entry, one
 *   flush_tlb_kernel_range() of the pool on every CPU) each time the search wraps. kmap()
 *   may sleep (might_sleep(), and pkmap_map_wait when the pool is full), so atomic callers
 *   are refused, and a full pool is refused (the model does not sleep a caller).
 * - `kunmap = lazy` (6.1): kunmap_high() only drops the count; the entry stays mapped,
 *   and cached in TLBs, until the pool next wraps, so a stale pkmap address can still reach
 *   the page (exposure this design accepts). `kunmap = eager` (not in any kernel): the last
 *   kunmap() clears the entry and flushes it on every CPU, one IPI round per unmap.
 * - Setup: nothing to change: high pages carry no direct-map entry. Stray writes through
 *   the direct-map address of a protected page fault (not present).
 *
 * Where it cannot serve: on x86-64 (no high memory) and for a region in low memory, every
 * page is in the direct map, so not mapping protects nothing: setup is unsupported (use
 * no-direct-map, which removes pages from the direct map).
 */
import { defineStrategy } from "./api.ts";
import { highmemMap, highmemUnmap, topFixmapSlot } from "./common/highmem.ts";
import { choice } from "./common/options.ts";
import { mappingState, ok, sleepsInAtomic, unsupported } from "./common/outcomes.ts";

export default defineStrategy({
  name: "kmap-as-protection",
  version: "1.0.0",
  summary:
    "HIGHMEM: the region lives in high memory, unmapped except while kmapped (kmap_local_page() fixmap slots, kmap() pkmap pool); x86-64: unsupported.",
  citation:
    "mm/highmem.c kmap_high/kunmap_high/flush_all_zero_pkmaps/__kmap_local_pfn_prot/kunmap_local_indexed; include/linux/highmem-internal.h; arch/x86/include/asm/pgtable_32_areas.h LAST_PKMAP; kernel-mechanics.md 1",
  options: {
    kunmap: choice(
      ["lazy", "eager"],
      "lazy",
      "lazy: 6.1's kunmap_high(), the pkmap entry stays mapped until the pool wraps; eager: the last kunmap() clears the entry and flushes it on every CPU (not in any kernel).",
    ),
  },
  costs: {},
  supports: { local: true, global: true, longTerm: true },
  restoresProtection: true,
  mapsRanges: false,
  directMapReads: false,
  proposed: [
    "placing a protected region in high memory on purpose (6.1 places GFP_HIGHUSER page cache and CONFIG_HIGHPTE page tables there, not as protection)",
    "with kunmap = eager, a kunmap() that clears and flushes its pkmap entry at once (6.1 leaves it until the pool wraps)",
  ],
  create(context) {
    const { machine, region, options } = context;
    const eager = options.kunmap === "eager";
    let localMaps = 0;
    let kmaps = 0;
    return {
      onSetup() {
        if (machine.pkmapPages === 0) {
          return unsupported(
            `no high memory on ${machine.arch}: every page is in the direct map, so not mapping protects nothing`,
          );
        }
        for (const pfn of region.pfns) {
          if (machine.inDirectMap(pfn)) {
            return unsupported(
              "the region is in low memory (machine.regionMemory = lowmem): its pages are in the direct map, so not mapping protects nothing",
            );
          }
        }
        return ok();
      },
      onPagesProtect: () => ok(), // high pages stay unmapped; nothing to change
      onPagesRelease: () => ok(),
      onMap(request) {
        const { cpu, thread, pfns, scope } = request;
        if (scope === "local") {
          localMaps++;
          return highmemMap(machine, thread, cpu, pfns, "kmap-local");
        }
        if (request.context === "atomic") {
          return sleepsInAtomic(
            "kmap()",
            "include/linux/highmem-internal.h: kmap() calls might_sleep(); a full pool sleeps on pkmap_map_wait",
          );
        }
        kmaps++;
        return highmemMap(machine, thread, cpu, pfns, "kmap");
      },
      onUnmap(request) {
        const { cpu, thread, mapping } = request;
        const state = mappingState(mapping);
        const last = mapping.vpns[mapping.vpns.length - 1];
        if (state.via === "kmap-local" && !topFixmapSlot(machine, thread, last)) {
          return unsupported(
            `kunmap_local() out of order on thread ${thread.id}: local mappings are a stack (LIFO)`,
          );
        }
        highmemUnmap(machine, thread, cpu, mapping.vpns, state.via, eager);
        return ok();
      },
      onFinish: () => ({
        kmap_local_maps: localMaps,
        kmap_maps: kmaps,
        pkmap_hits: machine.pkmapHits,
        pkmap_installs: machine.pkmapInstalls,
        pkmap_wrap_flushes: machine.pkmapWrapFlushes,
      }),
    };
  },
});
