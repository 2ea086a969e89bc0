/**
 * no-direct-map: protected pages are removed from the direct map, so every access needs an
 * explicit mapping ("the kernel could just eliminate the direct map entirely and always
 * require memory to be mapped explicitly, but that approach probably would not perform
 * well", Weiny at LSFMM 2022, LWN 894531). The shape is XPFO's (Khalid Aziz, RFC v9,
 * cover.1554248001.git.khalid.aziz@oracle.com) and secretmem's (mm/secretmem.c);
 * kernel-mechanics.md 4.
 *
 * Mechanism modelled:
 * - Setup: set_direct_map_invalid_noflush() on every region page (clear PRESENT|RW, no
 *   alias handling, no flush), which still splits a covering 1G/2M leaf with
 *   flush_tlb_all() per split; then the caller's one flush_tlb_kernel_range() over the
 *   region (kernel-mechanics.md 4.1, 4.3). 6.1 never merges the split leaves back, so
 *   unprotected pages that shared a large leaf with a protected one now need 4K TLB
 *   entries and deeper walks.
 * - Scope `local`: each page goes into a per-CPU kmap_local fixmap slot (the HIGHMEM
 *   mechanism of mm/highmem.c, which XPFO's TODO proposed reusing on 64-bit): a PTE write
 *   on map (no flush), a PTE clear plus one local INVLPG at unmap, no IPI; migration is
 *   disabled while held, the slots follow the task across context switches, at most 15
 *   nested per task, LIFO (kernel-mechanics.md 1.2).
 * - Scopes `global` and `long-term`: an alias in the vmalloc area (PAGE_KERNEL, lazy purge;
 *   kernel-mechanics.md 3.2-3.4), visible to every CPU: vm_map_ram() for a short-lived
 *   handed-off (`global`) mapping, vmap() with its guard page for `long-term`. vmap() may sleep, so such a request in
 *   atomic context is refused (the fixmap slots of scope `local` work in atomic context, as
 *   kmap_atomic() does).
 * - Page churn (xpfo-churn): pages leaving the kernel's reach are invalidated in the direct
 *   map, then one flush_tlb_kernel_range() over their span runs on every CPU per call: for
 *   one page that is secretmem_fault()'s set_direct_map_invalid_noflush plus one-page
 *   flush; for a batch it is XPFO v8's batched update (a span above 33 pages is a full
 *   flush). Pages coming back are restored with set_direct_map_default_noflush() and no
 *   flush (x86 does not cache not-present entries).
 * - Option `flush = deferred` (XPFO RFC v7/v8 "deferred flush", cost-references.md E1-E3,
 *   XPFO-V8: "a per-CPU flush pending flag checked at context switch, which coalesces
 *   IPIs"): the initiating CPU flushes its own TLB over the span (INVLPG loop, or a full
 *   local flush above the 33-page ceiling) and sets every other CPU's flush-pending flag,
 *   with no IPI; a CPU whose flag is set does one full local flush at its next context
 *   switch. Until then its stale direct-map entries stay usable (counted as exposure).
 *   The default `immediate` is the shootdown described above.
 * - Protection does not depend on the key mode: the pages are not present at all.
 *
 * A request for n local pages takes n slots (n kmap_local_page() calls); their addresses
 * descend, as real fixmap slots do, so they are not one contiguous range.
 * Simplification: the vmap aliases use 6.1's lazy, global-lock vmalloc.
 */
import { KMAP_LOCAL_MAX_NESTING } from "../core/machine/index.ts";
import { PAGE_KERNEL, PTE_PRESENT, PTE_WRITABLE } from "../core/machine/pte.ts";
import { defineStrategy } from "./api.ts";
import { flushDirectSpan, protectAtMemremap } from "./common/direct-map.ts";
import { topFixmapSlot } from "./common/highmem.ts";
import { choice } from "./common/options.ts";
import { mapped, mappingState, ok, unsupported } from "./common/outcomes.ts";
import { contiguousRuns, inDirectMap, pfnSpan } from "./common/pages.ts";
import { mapAlias, unmapAlias, vmapInAtomic } from "./common/vmap.ts";

const INVALID = PTE_PRESENT | PTE_WRITABLE;

interface MapState {
  /** Fixmap slots (true) or a vmalloc-area alias (false). */
  readonly slots: boolean;
  /** The alias came from vm_map_ram() (global) rather than vmap() (long-term). */
  readonly ram?: boolean;
}

export default defineStrategy({
  name: "no-direct-map",
  version: "1.0.0",
  summary:
    "XPFO/secretmem style: protected pages leave the direct map; local maps use per-CPU fixmap slots, global/long-term a vmap alias.",
  citation:
    "LWN 894531 (LSFMM 2022); XPFO RFC v9 cover.1554248001.git.khalid.aziz@oracle.com; mm/secretmem.c; arch/x86/mm/pat/set_memory.c set_direct_map_*_noflush; mm/highmem.c kmap_local; kernel-mechanics.md 1.2, 3, 4",
  options: {
    flush: choice(
      ["immediate", "deferred"],
      "immediate",
      "immediate: one flush_tlb_kernel_range() shootdown per page-churn call (XPFO v7 without deferral, secretmem); deferred: local flush plus per-CPU flush-pending flags, each other CPU flushing at its next context switch (XPFO v7/v8 deferred flush).",
    ),
  },
  costs: {},
  supports: { local: true, global: true, longTerm: true },
  restoresProtection: true,
  mapsRanges: false,
  directMapReads: false,
  proposed: [
    "per-CPU kmap_local fixmap slots on x86-64: 6.1 builds CONFIG_KMAP_LOCAL only for X86_32 (arch/x86/Kconfig) and kmap_local_page() is page_address() on x86-64; the slots are the 32-bit HIGHMEM mechanism of mm/highmem.c, whose reuse on 64-bit XPFO RFC v9 listed as a TODO",
    "XPFO-style removal of protected pages from the direct map: RFC v9, not merged (cover.1554248001.git.khalid.aziz@oracle.com)",
  ],
  create(context) {
    const { machine, options } = context;
    const deferred = options.flush === "deferred";
    /** XPFO's per-CPU "flush pending" flags (deferred mode). */
    const pending = new Uint8Array(machine.cpus);
    let deferredFlushes = 0;
    const vmalloc = () => context.vmalloc({ flush: "lazy", allocator: "global-lock" });
    let slotMaps = 0;
    let aliasMaps = 0;
    let maxSlots = 0;
    /** The initiator's own flush in deferred mode: INVLPG over the span, or a full local flush. */
    const flushLocalSpan = (cpu: number, pfns: ArrayLike<number>) => {
      if (pfns.length === 0) return;
      const { low, span } = pfnSpan(pfns);
      if (span > machine.profile.parameters.tlb_single_page_flush_ceiling.value) {
        machine.flushLocalAll(cpu);
      } else {
        for (let vpn = low; vpn < low + span; vpn++) machine.invlpg(cpu, vpn);
      }
    };
    const invalidate = (cpu: number, all: ArrayLike<number>) => {
      // High pages (HIGHMEM machine) are already out of the direct map: nothing to do.
      const pfns = inDirectMap(machine, all);
      for (const [first, count] of contiguousRuns(pfns)) {
        machine.changeDirectMap(cpu, first, count, { clear: INVALID });
      }
      flushDirectSpan(machine, cpu, pfns);
    };
    return {
      onSetup(region) {
        // PMEM: memremap_pages() can leave the range out of the linear map (pagemap_range()
        // calls add_pages(), not arch_add_memory(), for MEMORY_DEVICE_PRIVATE; mm/memremap.c).
        if (protectAtMemremap(machine, region, { clear: INVALID })) return ok();
        invalidate(0, region.pfns);
        return ok();
      },
      onPagesProtect(cpu, all) {
        const pfns = inDirectMap(machine, all);
        if (pfns.length === 0) return ok();
        if (deferred) {
          for (const [first, count] of contiguousRuns(pfns)) {
            machine.changeDirectMap(cpu, first, count, { clear: INVALID });
          }
          flushLocalSpan(cpu, pfns);
          for (let other = 0; other < machine.cpus; other++) if (other !== cpu) pending[other] = 1;
          return ok();
        }
        // One flush per call: a one-page call is secretmem's per-fault flush, a batch is
        // XPFO v8's batched update (one flush per free-list refill).
        invalidate(cpu, pfns);
        return ok();
      },
      onContextSwitch(cpu) {
        if (!pending[cpu]) return;
        pending[cpu] = 0;
        deferredFlushes++;
        machine.flushLocalAll(cpu);
      },
      onPagesRelease(cpu, pfns) {
        for (const [first, count] of contiguousRuns(pfns)) {
          machine.changeDirectMap(cpu, first, count, { set: INVALID });
        }
        return ok();
      },
      onMap(request) {
        const { cpu, thread, pfns, scope } = request;
        if (scope === "local") {
          if (thread.kmapDepth + pfns.length > KMAP_LOCAL_MAX_NESTING) {
            return unsupported(
              `kmap_local nesting limit: ${pfns.length} more slot(s) with ${thread.kmapDepth} of ${KMAP_LOCAL_MAX_NESTING} in use`,
            );
          }
          const vpns = pfns.map((pfn) => machine.kmapLocalPush(thread, pfn, PAGE_KERNEL));
          slotMaps++;
          maxSlots = Math.max(maxSlots, thread.kmapDepth);
          const state: MapState = { slots: true };
          return mapped(vpns, state);
        }
        if (request.context === "atomic") return vmapInAtomic();
        // A short-lived handed-off (global) mapping takes vm_map_ram(); long-term takes vmap().
        const ram = scope === "global";
        const state: MapState = { slots: false, ram };
        const outcome = mapAlias(vmalloc(), cpu, pfns, PAGE_KERNEL, ram, state);
        if (outcome.kind === "ok") aliasMaps++;
        return outcome;
      },
      onUnmap(request) {
        const { cpu, thread, mapping } = request;
        const state = mappingState(mapping);
        if (!state.slots) {
          unmapAlias(vmalloc(), cpu, mapping, state.ram ?? false);
          return ok();
        }
        if (!topFixmapSlot(machine, thread, mapping.vpns[mapping.vpns.length - 1])) {
          return unsupported(
            `kunmap_local() out of order on thread ${thread.id}: fixmap slots are a stack (LIFO)`,
          );
        }
        for (let i = mapping.vpns.length - 1; i >= 0; i--) {
          machine.kmapLocalPop(thread, mapping.vpns[i]);
        }
        return ok();
      },
      onFinish: () => ({
        slot_maps: slotMaps,
        alias_maps: aliasMaps,
        max_slots: maxSlots,
        ...(deferred ? { deferred_flushes: deferredFlushes } : {}),
      }),
    };
  },
});
