/**
 * Direct-map changes the built-in strategies make: the bits protection removes, the
 * protection put on as memremap_pages() maps a device region, batched CPA over a page
 * array (set_pages_array_*(), set_memory_pks()), and the flush after a batch of *_noflush
 * changes.
 *
 * @packageDocumentation
 */
import type { Vmalloc } from "../../core/kernel/vmalloc.ts";
import type { Machine, PteChange } from "../../core/machine/index.ts";
import { PTE_PRESENT, PTE_WRITABLE } from "../../core/machine/pte.ts";
import type { KeyMode, ProtectedRegion } from "../api.ts";
import { contiguousRuns, pfnSpan } from "./pages.ts";

/**
 * Direct-map PTE bits that protection removes without keys: PRESENT|RW for access-disable
 * (set_memory_np / __set_pages_np clear both), RW for write-disable (set_memory_ro).
 */
export function directMapProtectBits(keyMode: KeyMode): number {
  return keyMode === "access-disable" ? PTE_PRESENT | PTE_WRITABLE : PTE_WRITABLE;
}

/**
 * Setup of a device region (PMEM, `region.device`): the protection goes on the direct-map
 * entries as memremap_pages() creates them (Machine.memremapPages: no split of RAM's
 * leaves, no flush). Returns false, doing nothing, for a RAM region, whose callers take
 * their CPA path instead.
 */
export function protectAtMemremap(
  machine: Machine,
  region: ProtectedRegion,
  change: PteChange,
): boolean {
  if (!region.device) return false;
  for (const [first, count] of contiguousRuns(region.pfns)) {
    machine.memremapPages(0, first, count, change);
  }
  return true;
}

/**
 * A batched CPA over a page array, in the CPA_PAGES_ARRAY style of set_pages_array_*()
 * (arch/x86/mm/pat/set_memory.c): one vm_unmap_aliases() (skipped without `vmalloc`, as
 * for the *_noalias variants), the attribute change on every page (splitting large
 * leaves as needed), then one cpa_flush() over the page list if anything changed: a full
 * flush on every CPU above the 33-page ceiling, otherwise one IPI with an INVLPG per page
 * on every CPU (core/machine/shootdown.ts flushTlbKernelPages).
 * Returns whether anything changed.
 */
export function setPagesArray(
  machine: Machine,
  vmalloc: Vmalloc | undefined,
  cpu: number,
  pfns: ArrayLike<number>,
  change: PteChange,
): boolean {
  vmalloc?.vmUnmapAliases(cpu);
  let changed = false;
  for (const [first, count] of contiguousRuns(pfns)) {
    if (machine.changeDirectMap(cpu, first, count, change)) changed = true;
  }
  if (changed) machine.flushTlbKernelPages(cpu, pfns);
  return changed;
}

/**
 * A set_memory_pks()-style key change on a batch of pages (Edgecombe's PKS page-table RFC,
 * kernel-mechanics.md 7): CPA puts `key` in their direct-map PTEs, then one flush, because
 * TLB entries carry the old key. No vmalloc alias handling: keys live on the direct map.
 */
export function setMemoryPks(
  machine: Machine,
  cpu: number,
  pfns: ArrayLike<number>,
  key: number,
): void {
  setPagesArray(machine, undefined, cpu, pfns, { key });
}

/**
 * One flush_tlb_kernel_range() over the direct-map span covering `pfns`, as a caller of
 * the *_noflush direct-map helpers does after a batch (kernel-mechanics.md 4.1, 4.4).
 */
export function flushDirectSpan(machine: Machine, cpu: number, pfns: ArrayLike<number>): void {
  if (pfns.length === 0) return;
  const { low, span } = pfnSpan(pfns);
  machine.flushTlbKernelRange(cpu, low, span);
}
