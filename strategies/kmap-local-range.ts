/**
 * kmap-local-range: a multi-page `kmap_local_range(pages, n)` on top of Weiny's PKS core,
 * as Matthew Wilcox suggested at LSFMM 2022 ("Some sort of kmap_local_range() function
 * would be useful"; Josef Bacik: btrfs "often has to map 16KB metadata blocks"; LWN
 * 894531). No patch exists: Weiny recalled the idea on LKML (2 Jun 2022, "Mapping more than
 * 1 page at a time could save some unmap/remap"); kernel-mechanics.md 8.1,
 * discussion-history.md 1.5.
 *
 * Mechanism modelled:
 * - Setup as pks-kmap: PKS on every CPU, key 1 (PKS_KEY_PGMAP_PROTECTION) on the region's
 *   direct-map PTEs, AD at rest (WD for a write-disable region).
 * - One call maps the whole range for the calling thread and lifts the key once
 *   (the per-task count of pgmap_set_readwrite(), so nested ranges cost nothing more); the
 *   matching unmap puts it back when the count returns to zero. One IA32_PKRS write per
 *   range instead of one per page for a per-page kmap_local_page() loop.
 * - The address is virtually contiguous. Physically contiguous pages are contiguous in the
 *   direct map, so the address is page_address() of the first page and costs nothing
 *   more (the btrfs `eb->addr` fast path, commit 2dc8b96809b2, kernel-mechanics.md 8.2).
 *   Otherwise, with `contiguity = fixmap-window`, the pages go into n consecutive
 *   kmap_local fixmap slots of this CPU (n PTE writes, migration disabled; unmap: n PTE
 *   clears and n local INVLPGs, no IPI; kernel-mechanics.md 1.2). The window's PTEs carry
 *   the pages' key like every other kernel mapping of protected memory, which is why the
 *   range still lifts the key. With `contiguity = physical-only`, a scattered range is
 *   unsupported.
 * - Unlike v10's kmap_local_page(), which has no intent argument and always opens
 *   read-write, a new range API can take the caller's intent: a read-intent range on a
 *   write-disable region does not lift the key (the WD key already allows reads); only
 *   write-intent ranges lift it.
 * - Nesting is limited as kmap_local's is: KM_MAX_IDX = 16 slots per CPU, 15 usable per
 *   task. A fixmap window uses one level per page; a direct-map range uses one level. Unmaps
 *   are LIFO; an out-of-order unmap is refused (the kernel would BUG).
 * - Scopes `global` and `long-term` are unsupported: this is a local API.
 * - PKS faults go to the same PMEM key callback as pks-kmap (`fault-mode`).
 *
 * Simplifications:
 * - Fixmap slot VAs descend as the index grows (__fix_to_virt, modelled by
 *   core/machine/page-tables.ts fixmapVpn), so the window fills its slots from the last
 *   page to the first to give ascending addresses (kernel-mechanics.md 8.1), and unmaps in
 *   the reverse (LIFO) order.
 * - Page churn changes keys as in pks-kmap (set_memory_pks()-style, with a flush).
 */
import { KMAP_LOCAL_MAX_NESTING, type Thread } from "../core/machine/index.ts";
import { PAGE_KERNEL, withKey } from "../core/machine/pte.ts";
import { defineStrategy } from "./api.ts";
import { choice } from "./common/options.ts";
import { mapped, mappingState, ok, unsupported } from "./common/outcomes.ts";
import { consecutive, directMapVpns } from "./common/pages.ts";
import { PGMAP_KEY, pgmapLift } from "./common/pgmap.ts";

interface RangeState {
  readonly window: boolean;
  /** Whether the map lifted the key (not for a read on a write-disable region). */
  readonly lifted: boolean;
  /** Nesting levels the range holds. */
  readonly levels: number;
}

export default defineStrategy({
  name: "kmap-local-range",
  version: "1.0.0",
  summary:
    "Wilcox's kmap_local_range(): one PKS lift per multi-page range; direct map when physically contiguous, else a per-CPU fixmap window.",
  citation:
    "LWN 894531 (LSFMM 2022, Wilcox/Bacik); Weiny on LKML 2 Jun 2022 (Ypjjt87qL+ROFBtM@iweiny-desk3); Weiny v10 PKS core 20220419170649.1022246-1-ira.weiny@intel.com; mm/highmem.c kmap_local slots; kernel-mechanics.md 1.2, 8.1",
  options: {
    contiguity: choice(
      ["physical-only", "fixmap-window"],
      "fixmap-window",
      "How a physically scattered range gets one contiguous address: physical-only refuses it; fixmap-window maps it through n per-CPU kmap_local slots.",
    ),
    "fault-mode": choice(
      ["relaxed", "strict"],
      "relaxed",
      "PMEM key fault callback: relaxed warns once and grants read-write to the faulting thread (v10 default); strict oopses.",
    ),
  },
  costs: {},
  supports: { local: true, global: false, longTerm: false },
  restoresProtection: true,
  mapsRanges: true,
  directMapReads: true,
  proposed: [
    "kmap_local_range(): an idea from LSFMM 2022 and LKML 2 Jun 2022, no patch",
    "with contiguity = fixmap-window, a per-CPU window of consecutive kmap_local fixmap slots on x86-64: 6.1 builds CONFIG_KMAP_LOCAL only for X86_32 (arch/x86/Kconfig)",
    "the PKS core and pgmap_set_readwrite() of Weiny's v10 series, not merged",
  ],
  create(context) {
    const { machine, region, options } = context;
    const window = options.contiguity === "fixmap-window";
    const key = pgmapLift(machine, region.keyMode, options["fault-mode"], true);
    const pgmap = key.protection;
    /** Live ranges of each thread, innermost last (the LIFO stack). */
    const stacks = new Map<Thread, RangeState[]>();
    const levels = (thread: Thread) =>
      (stacks.get(thread) ?? []).reduce((sum, range) => sum + range.levels, 0);
    let directRanges = 0;
    let windowRanges = 0;
    let maxLevels = 0;
    let readsWithoutLift = 0;
    return {
      ...key.hooks,
      onMap(request) {
        if (request.scope !== "local") {
          return unsupported(
            `kmap_local_range() is a local (this thread, this CPU) mapping; no ${request.scope} variant`,
          );
        }
        const { thread, pfns } = request;
        const direct = consecutive(pfns);
        if (!direct && !window) {
          return unsupported(
            "pages are not physically contiguous and contiguity = physical-only has no fixmap window",
          );
        }
        const need = direct ? 1 : pfns.length;
        const used = levels(thread);
        if (used + need > KMAP_LOCAL_MAX_NESTING) {
          return unsupported(
            `kmap_local nesting limit: ${need} more level(s) with ${used} of ${KMAP_LOCAL_MAX_NESTING} in use (KM_MAX_IDX = 16 slots per CPU)`,
          );
        }
        // A new API can take the caller's intent: a read of a write-disable region needs no
        // lift (the key already allows reads), so only writes open it.
        const lift = !(request.intent === "read" && region.keyMode === "write-disable");
        if (lift) pgmap.readwrite(thread);
        else readsWithoutLift++;
        let vpns: number[];
        if (direct) {
          directRanges++;
          vpns = directMapVpns(pfns);
        } else {
          windowRanges++;
          const pte = withKey(PAGE_KERNEL, PGMAP_KEY);
          vpns = new Array<number>(pfns.length);
          for (let i = pfns.length - 1; i >= 0; i--) {
            vpns[i] = machine.kmapLocalPush(thread, pfns[i], pte);
          }
        }
        const state: RangeState = { window: !direct, lifted: lift, levels: need };
        const stack = stacks.get(thread) ?? [];
        stack.push(state);
        stacks.set(thread, stack);
        maxLevels = Math.max(maxLevels, used + need);
        return mapped(vpns, state);
      },
      onUnmap(request) {
        const { thread, mapping } = request;
        const state = mappingState(mapping);
        const stack = stacks.get(thread) ?? [];
        if (stack[stack.length - 1] !== state) {
          return unsupported(
            `kunmap_local_range() out of order on thread ${thread.id}: local mappings are a stack (LIFO)`,
          );
        }
        stack.pop();
        if (state.window) {
          // The first page was pushed last: pop from the front.
          for (let i = 0; i < mapping.vpns.length; i++)
            machine.kmapLocalPop(thread, mapping.vpns[i]);
        }
        if (state.lifted) pgmap.restore(thread);
        return ok();
      },
      onFinish: () => ({
        direct_ranges: directRanges,
        window_ranges: windowRanges,
        max_levels: maxLevels,
        reads_without_lift: readsWithoutLift,
        ...key.faultCounters(),
      }),
    };
  },
});
