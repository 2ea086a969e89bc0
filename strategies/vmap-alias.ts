/**
 * vmap-alias: the "optimized vmap()" alternative from LSFMM 2022 (Wilcox: "it should be
 * possible to make vmap() more efficient"; Weiny: it "could make long-term mappings ...
 * work better"; LWN 894531). No posted patch exists; this models what 6.1's mm/vmalloc.c
 * already offers (kernel-mechanics.md 3).
 *
 * Mechanism modelled:
 * - Setup: the region is made read-only in the direct map (set_memory_ro), or not present
 *   for an access-disable region (set_memory_np): vm_unmap_aliases(), CPA with large-leaf
 *   splits, one cpa_flush() for the whole page array (arch/x86/mm/pat/set_memory.c,
 *   CPA_PAGES_ARRAY; kernel-mechanics.md 4.2). No PKS.
 * - A read of a write-disable region needs no alias: the direct map is read-only, so the
 *   reader uses page_address() (the cheapest legal path). Every other map creates an
 *   alias in the vmalloc area whose PTEs allow what the caller asked for (PAGE_KERNEL for
 *   write intent, PAGE_KERNEL_RO for a read of an access-disable region; vmap() takes a
 *   pgprot):
 *   - `flush = lazy` (the optimized shape): scopes `local` and `global` (short-lived, as
 *     a handed-off kmap() address is) use vm_map_ram(): per-CPU vmap blocks for up to 64
 *     pages, rounded up to a power of two, bump-allocated, freed space not reused until
 *     the whole block is dirty (6.1 vb_alloc/vb_free); the alias is in init_mm, so any CPU
 *     may use and unmap it. Scope `long-term` uses vmap(): a vmap_area with a guard page
 *     from the global allocator (vm_map_ram()'s comment: "Please use this function for
 *     short-lived objects").
 *     Unmapping clears the PTEs and frees the VA lazily, with no flush; once the lazily
 *     freed space passes lazy_max_pages() = fls(cpus) × 8192 pages, one
 *     flush_tlb_kernel_range() over all of it (a full flush on every CPU) purges it.
 *   - `flush = eager`: plain vmap()/vunmap() for every scope with a flush on every unmap,
 *     the shape before the 2008 lazy rewrite.
 *   - `allocator`: 6.1's global locks, or 6.9's per-CPU vmap nodes (Rezki v3,
 *     20240102184633.748113-1-urezki@gmail.com).
 * - vmap() and vm_map_ram() may sleep (alloc_vmap_area() calls might_sleep(); new_vmap_block()
 *   allocates with GFP_KERNEL), so a map request in atomic context (under a spinlock, with
 *   preemption or page faults disabled) is refused as unsupported: the kernel forbids it.
 * - Until the purge, a CPU that cached an alias translation can still write through it:
 *   the model keeps stale TLB entries alive, so stale-alias writes land (use-after-unmap).
 * - Page churn uses the same batched CPA to make pages not present/read-only and back,
 *   each call with its vm_unmap_aliases() and one flush.
 *
 * Simplifications: vmalloc's allocator is core/kernel/vmalloc.ts (first fit over a sorted
 * list with the tree-descent cost, drain worker on the kworker of the CPU that queued it).
 */
import type { Vmalloc } from "../core/kernel/vmalloc.ts";
import { PAGE_KERNEL, PAGE_KERNEL_RO } from "../core/machine/pte.ts";
import { defineStrategy } from "./api.ts";
import { directMapProtectBits, protectAtMemremap, setPagesArray } from "./common/direct-map.ts";
import { choice } from "./common/options.ts";
import { mapped, mappingState, ok } from "./common/outcomes.ts";
import { directMapVpns, inDirectMap } from "./common/pages.ts";
import { mapAlias, unmapAlias, vmapInAtomic } from "./common/vmap.ts";

interface AliasState {
  /** vm_map_ram() (true) or vmap() (false). */
  readonly ram: boolean;
  /** A read of a write-disable region through the read-only direct map: no alias. */
  readonly direct?: boolean;
}

export default defineStrategy({
  name: "vmap-alias",
  version: "1.0.0",
  summary:
    "Optimized vmap(): protected pages read-only/not-present in the direct map; each map makes a writable vmalloc alias, purged lazily.",
  citation:
    "LWN 894531 (LSFMM 2022, Wilcox on optimizing vmap()); mm/vmalloc.c 6.1 vmap/vunmap/vm_map_ram/lazy purge; arch/x86/mm/pat/set_memory.c set_memory_ro/np; kernel-mechanics.md 3, 4.2",
  options: {
    flush: choice(
      ["lazy", "eager"],
      "lazy",
      "lazy: vm_map_ram() blocks and vmap() with lazy purging past lazy_max_pages() (6.1); eager: plain vmap()/vunmap() flushing on every unmap (before the optimization).",
    ),
    allocator: choice(
      ["global-lock", "per-cpu-nodes"],
      "global-lock",
      "vmalloc VA allocator: global-lock (6.1 global trees and spinlocks) or per-cpu-nodes (6.9 vmap nodes).",
    ),
  },
  costs: {},
  supports: { local: true, global: true, longTerm: true },
  restoresProtection: true,
  mapsRanges: true,
  directMapReads: true,
  proposed: [
    "the 'optimized vmap()' of LSFMM 2022: no posted patch; the model uses 6.1's vmap()/vm_map_ram() as they are",
  ],
  create(context) {
    const { machine, region, options } = context;
    const lazy = options.flush === "lazy";
    let vmalloc: Vmalloc | undefined;
    const allocator = () => {
      vmalloc ??= context.vmalloc({
        flush: options.flush,
        allocator: options.allocator,
      });
      return vmalloc;
    };
    const protect = directMapProtectBits(region.keyMode);
    let aliases = 0;
    let ramAliases = 0;
    let directReads = 0;
    return {
      onSetup(protectedRegion) {
        // PMEM: mapped read-only / not present by memremap_pages() from the start.
        if (protectAtMemremap(machine, protectedRegion, { clear: protect })) return ok();
        // On a HIGHMEM machine, high pages have no direct-map entry: nothing to protect.
        const low = inDirectMap(machine, protectedRegion.pfns);
        if (low.length > 0) setPagesArray(machine, allocator(), 0, low, { clear: protect });
        return ok();
      },
      onPagesProtect(cpu, pfns) {
        const low = inDirectMap(machine, pfns);
        if (low.length > 0) setPagesArray(machine, allocator(), cpu, low, { clear: protect });
        return ok();
      },
      onPagesRelease(cpu, pfns) {
        const low = inDirectMap(machine, pfns);
        if (low.length > 0) setPagesArray(machine, allocator(), cpu, low, { set: protect });
        return ok();
      },
      onMap(request) {
        const { cpu, pfns } = request;
        if (
          request.intent === "read" &&
          region.keyMode === "write-disable" &&
          pfns.every((pfn) => machine.inDirectMap(pfn))
        ) {
          // The direct map is read-only, not absent: a reader uses page_address() and no
          // alias is built; only writes need the writable alias.
          directReads++;
          const vpns = directMapVpns(pfns);
          const state: AliasState = { ram: false, direct: true };
          return mapped(vpns, state);
        }
        if (request.context === "atomic") return vmapInAtomic();
        const pte = request.intent === "write" ? PAGE_KERNEL : PAGE_KERNEL_RO;
        // vm_map_ram() is for short-lived mappings and its alias lives in init_mm, usable
        // from any CPU (vb_free() finds the block through the vmap_blocks xarray), so a
        // handed-off `global` mapping uses it too; only `long-term` takes vmap().
        const ram = lazy && request.scope !== "long-term";
        const state: AliasState = { ram };
        const outcome = mapAlias(allocator(), cpu, pfns, pte, ram, state);
        if (outcome.kind !== "ok") return outcome;
        aliases++;
        if (ram) ramAliases++;
        return outcome;
      },
      onUnmap(request) {
        const { cpu, mapping } = request;
        const state = mappingState(mapping);
        if (state.direct) return ok();
        unmapAlias(allocator(), cpu, mapping, state.ram);
        return ok();
      },
      onFinish: () => ({
        aliases,
        vm_map_ram_aliases: ramAliases,
        direct_map_reads: directReads,
        lazy_pages_at_end: vmalloc?.lazyPages ?? 0,
      }),
    };
  },
});
