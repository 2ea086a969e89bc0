/**
 * set-memory-ro: the btrfs read-only debugging patch, a counterfactual `pkslab claims`
 * compares PKS with (claim 7), and the strategy walked through in
 * docs/writing-a-strategy.md, where it is loaded as a plugin through its pointer
 * examples/set-memory-ro.ts. Not a registered built-in.
 *
 * Mechanism modelled: the btrfs developers' debugging approach that Chris Mason described
 * at LSFMM 2022, "a debugging patch that makes pages read-only so that they can look at the
 * resulting crashes and see who is modifying pages when they shouldn't be" (LWN 894531).
 * Protected pages are kept read-only in the direct map with set_memory_ro() (not present,
 * with set_memory_np(), for an access-disable region) and opened with set_memory_rw()
 * (set_memory_p()) around each legitimate write. Each call goes through
 * change_page_attr_set_clr() (arch/x86/mm/pat/set_memory.c; kernel-mechanics.md 4.2):
 * 1. vm_unmap_aliases(), which purges every lazily freed vmap area;
 * 2. the CPA change itself, splitting a covering large leaf (with flush_tlb_all()) when
 *    the change does not cover all of it;
 * 3. cpa_flush(), if anything changed: flush_tlb_all() above 33 pages, otherwise INVLPG
 *    of each page on every CPU by IPI (flush_tlb_kernel_range() has the same rule).
 * The permission change is global: while a page is open any CPU and any thread can write
 * it through the direct map, so every scope is supported; nested mappings are counted per
 * page, and a page closes when its last user unmaps.
 *
 * Simplifications: the bookkeeping of change_page_attr_set_clr() (argument checks,
 * lookup_address() walks, cpa_lock) is one declared cost parameter, `cpa_call_cycles`, an
 * unverified placeholder; kmap_flush_unused() is a no-op on x86-64 (no HIGHMEM); pages that
 * are not physically contiguous take one set_memory_*() call per contiguous run.
 */
import { PTE_PRESENT, PTE_WRITABLE } from "../../core/machine/pte.ts";
import { defineStrategy, type Outcome } from "../api.ts";

const OK: Outcome = { kind: "ok", value: undefined };

/** Maximal runs [first, count] of consecutive page numbers. */
function runs(pfns: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const pfn of [...pfns].sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last && last[0] + last[1] === pfn) last[1]++;
    else out.push([pfn, 1]);
  }
  return out;
}

export default defineStrategy({
  name: "set-memory-ro",
  version: "1.0.0",
  summary:
    "btrfs debugging style: pages read-only in the direct map via set_memory_ro(); set_memory_rw() around each write, with global flushes.",
  citation:
    "LWN 894531 (LSFMM 2022: Chris Mason's btrfs read-only debugging patch); arch/x86/mm/pat/set_memory.c change_page_attr_set_clr/cpa_flush; kernel-mechanics.md 4.2",
  options: {},
  costs: {
    cpa_call_cycles: {
      value: 300,
      unit: "cycles/call",
      confidence: "unverified",
      source:
        "Placeholder for change_page_attr_set_clr() bookkeeping per set_memory_*() call (argument checks, lookup_address() walk, cpa_lock); no published figure in the reference set.",
      range: [100, 2000],
    },
  },
  supports: { local: true, global: true, longTerm: true },
  restoresProtection: true,
  mapsRanges: true,
  directMapReads: true,
  create(context) {
    const { machine, region } = context;
    const vmalloc = context.vmalloc({ flush: "lazy", allocator: "global-lock" });
    // What protection takes away: RW (set_memory_ro), or PRESENT too (set_memory_np).
    const closed = region.keyMode === "access-disable" ? PTE_PRESENT | PTE_WRITABLE : PTE_WRITABLE;
    // Users of each open page, so that nested mappings close it only once.
    const users = new Map<number, number>();
    let calls = 0;

    /** set_memory_*(addr, numpages) on each contiguous run of `pfns`. */
    const setMemory = (
      cpu: number,
      pfns: readonly number[],
      change: { set?: number; clear?: number },
    ) => {
      for (const [first, count] of runs(pfns)) {
        calls++;
        context.charge(cpu, "cpa_call_cycles");
        vmalloc.vmUnmapAliases(cpu);
        const before = Array.from({ length: count }, (_, i) => machine.directPte(first + i));
        machine.changeDirectMap(cpu, first, count, change);
        // cpa_flush() runs only when CPA changed something (CPA_FLUSHTLB).
        if (before.some((pte, i) => machine.directPte(first + i) !== pte)) {
          machine.flushTlbKernelRange(cpu, first, count);
        }
      }
    };

    return {
      onSetup(protectedRegion) {
        setMemory(0, Array.from(protectedRegion.pfns), { clear: closed });
        return OK;
      },
      onMap(request) {
        const { cpu, pfns } = request;
        // Reading a read-only page needs nothing; a write, or any access to a not-present
        // page, needs the page opened.
        const open = request.intent === "write" || region.keyMode === "access-disable";
        if (open && request.context === "atomic") {
          // set_memory_rw() sleeps: vm_unmap_aliases() takes the vmap_purge_lock mutex and
          // a split allocates a page-table page with GFP_KERNEL (mm/vmalloc.c,
          // arch/x86/mm/pat/set_memory.c). An atomic caller cannot open a page.
          return {
            kind: "unsupported",
            reason:
              "atomic context: set_memory_rw() may sleep (vm_unmap_aliases() takes the vmap_purge_lock mutex)",
          };
        }
        if (open) {
          const opening = pfns.filter((pfn) => (users.get(pfn) ?? 0) === 0);
          for (const pfn of pfns) users.set(pfn, (users.get(pfn) ?? 0) + 1);
          if (opening.length > 0) setMemory(cpu, opening, { set: closed });
        }
        // page_address(): the direct-map vpn of a page is its pfn.
        const vpns = [...pfns];
        const contiguous = vpns.every((vpn, i) => vpn === vpns[0] + i);
        return { kind: "ok", value: { vpns, contiguous, state: { open } } };
      },
      onUnmap(request) {
        const { cpu, mapping } = request;
        if (!mapping.state?.open) return OK;
        const closing: number[] = [];
        for (const pfn of mapping.vpns) {
          const count = (users.get(pfn) ?? 0) - 1;
          users.set(pfn, count);
          if (count === 0) closing.push(pfn);
        }
        if (closing.length > 0) setMemory(cpu, closing, { clear: closed });
        return OK;
      },
      onFinish: () => ({ set_memory_calls: calls }),
    };
  },
});
