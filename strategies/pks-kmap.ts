/**
 * pks-kmap: Ira Weiny's PKS/PMEM stray-write protection, v10
 * ("[PATCH V10 00/44] PKS/PMEM: Add Stray Write Protection", 19 Apr 2022,
 * 20220419170649.1022246-1-ira.weiny@intel.com; kernel-mechanics.md 6).
 *
 * Mechanism modelled:
 * - Setup: PKS is enabled on every CPU with PKS_INIT_VALUE (key 0 read-write, every other
 *   key access-disabled; key 1 write-disabled instead when the workload asks for a
 *   write-disable region) and the region's direct-map PTEs get key 1,
 *   PKS_KEY_PGMAP_PROTECTION ("memremap_pages: Set PKS pkey in PTEs if requested").
 * - `kmap_local_page()` / `kmap_atomic()` (scope `local`), V10 33/44 "kmap: Make kmap work
 *   for devmap protected pages": `pgmap_set_readwrite(page); return page_address(page);`.
 *   The per-task `pgmap_prot_count` nests: only the first map calls pks_set_readwrite(),
 *   which updates `current->thread.pkrs` and writes IA32_PKRS through the per-CPU
 *   `pkrs_cache` (skipped when the value is unchanged). `kunmap_local()` decrements and the
 *   last one calls pks_set_noaccess(). A request for n pages is n nested kmap_local_page()
 *   calls. No PTE is written and no TLB is flushed, ever. v10's kmap_local_page() has no
 *   intent argument, so a map opens read-write even for a reader; on a write-disable region
 *   a reader has the cheaper legal path of page_address() with no map call at all
 *   (`directMapReads`), which callers such as btrfs-debug-ro take by default.
 * - The lift belongs to the thread on its CPU: the model's context switch loads
 *   thread.pkrs (x86_pkrs_load in __switch_to, V10 13/44) and exception entry starts from
 *   PKS_INIT_VALUE (aux pt_regs), so both come from core/machine/ (sched.ts, pks.ts).
 * - `kmap()` (scope `global`) is deliberately unchanged in v10: it returns page_address()
 *   without lifting the key, so "accessing that mapping will cause a fault" (V10 cover
 *   letter). The fault reaches the PMEM key callback: `relaxed` (default,
 *   memremap.pks_fault_mode) warns once and grants read-write to the interrupted thread with
 *   pks_update_exception(); `strict` oopses.
 * - Scope `long-term` is unsupported: v10 offers no long-lived mapping that lifts PKS (kmap()
 *   does not, and vmap() aliases are outside the series).
 * - Page churn (xpfo-churn) changes the key of the pages' direct-map PTEs with a
 *   set_memory_pks()-style CPA call and one flush per call (Edgecombe's PKS page-table
 *   RFC, kernel-mechanics.md 7); that is the only way this strategy ever flushes a TLB.
 *
 * Simplifications:
 * - A device region (PMEM, pmem-dax) gets the key as memremap_pages() maps it (no split,
 *   no flush); a RAM region (page cache, btrfs metadata, page tables) gets it by changing
 *   the direct map, which splits the large leaves around it at setup (with their flushes).
 * - `pkrs-cache = false` removes the per-CPU cache from every PKRS write: the kmap paths,
 *   context switch and exception entry/exit (core/machine/state.ts usePkrsCache).
 * - devmap_protected() (a static branch and two loads) is not charged.
 */
import { defineStrategy, type Mapping, type Outcome } from "./api.ts";
import { choice } from "./common/options.ts";
import { mapped, mappingState, ok, sleepsInAtomic, unsupported } from "./common/outcomes.ts";
import { directMapVpns } from "./common/pages.ts";
import { pgmapLift } from "./common/pgmap.ts";

/** Per mapping: kmap() (global, nothing to restore) or the kmap_local lifts to undo. */
interface KmapState {
  readonly global: boolean;
  readonly pages?: number;
}

export default defineStrategy({
  name: "pks-kmap",
  version: "1.0.0",
  summary:
    "Weiny v10: kmap_local_page()/kmap_atomic() lift a PKS key for the calling thread on its CPU; no PTE or TLB work; kmap() faults.",
  citation:
    "Ira Weiny, [PATCH V10 00/44] PKS/PMEM: Add Stray Write Protection, 20220419170649.1022246-1-ira.weiny@intel.com (33/44 kmap hooks, 13/44 PKRS on context switch, memremap.pks_fault_mode); kernel-mechanics.md 6",
  options: {
    "fault-mode": choice(
      ["relaxed", "strict"],
      "relaxed",
      "memremap.pks_fault_mode: relaxed warns once and grants read-write to the faulting thread (v10 default); strict oopses.",
    ),
    "pkrs-cache": {
      default: true,
      unit: "-",
      description:
        "Use the per-CPU pkrs_cache to skip a WRMSR when IA32_PKRS already holds the value (pks_write_pkrs).",
    },
  },
  costs: {},
  supports: { local: true, global: false, longTerm: false },
  restoresProtection: true,
  mapsRanges: false,
  directMapReads: true,
  proposed: [
    "Weiny's PKS/PMEM v10 series (kmap_local_page() lifting the key, PKRS context switch and exception handling), posted April 2022, not merged",
  ],
  create(context) {
    const { machine, region, options } = context;
    const key = pgmapLift(machine, region.keyMode, options["fault-mode"], options["pkrs-cache"]);
    const pgmap = key.protection;
    let globalMaps = 0;
    return {
      ...key.hooks,
      onSetup(protectedRegion) {
        machine.usePkrsCache = options["pkrs-cache"];
        return key.hooks.onSetup(protectedRegion);
      },
      onMap(request): Outcome<Mapping<KmapState>> {
        const vpns = directMapVpns(request.pfns);
        if (request.scope === "long-term") {
          return unsupported(
            "v10 has no long-term mapping that lifts PKS: kmap_local_page() is thread-local and kmap() does not lift the key",
          );
        }
        if (request.scope === "global") {
          if (request.context === "atomic") {
            return sleepsInAtomic(
              "kmap()",
              "include/linux/highmem-internal.h: kmap() calls might_sleep()",
            );
          }
          // kmap(): page_address() with the key left in place; accesses fault.
          globalMaps++;
          return mapped(vpns, { global: true });
        }
        for (let i = 0; i < request.pfns.length; i++) pgmap.readwrite(request.thread);
        return mapped(vpns, { global: false, pages: request.pfns.length });
      },
      onUnmap(request) {
        const state = mappingState(request.mapping);
        if (state.global) return ok(); // kunmap(): nothing to restore
        for (let i = 0; i < (state.pages ?? 0); i++) {
          if (!pgmap.restore(request.thread)) {
            return unsupported(
              `kunmap_local() by thread ${request.thread.id}, which holds no kmap_local lift (pgmap_prot_count is per task)`,
            );
          }
        }
        return ok();
      },
      onFinish: () => ({
        max_nesting: pgmap.maxNesting,
        kmap_global_maps: globalMaps,
        ...key.faultCounters(),
      }),
    };
  },
});
