/**
 * 6.1's HIGHMEM mapping paths (include/linux/highmem-internal.h, mm/highmem.c): per page,
 * kmap_local_page() through the per-CPU fixmap slots or kmap() through the pkmap pool, a
 * low page being page_address(); and the stack order of the fixmap slots.
 *
 * @packageDocumentation
 */
import {
  KM_MAX_IDX,
  KMAP_LOCAL_MAX_NESTING,
  type Machine,
  type Thread,
} from "../../core/machine/index.ts";
import { PAGE_KERNEL } from "../../core/machine/pte.ts";
import type { Outcome } from "../api.ts";
import { ok, unsupported } from "./outcomes.ts";
import { consecutive } from "./pages.ts";

/** How a HIGHMEM mapping was made, handed back at unmap. */
export interface HighmemMapState {
  readonly via: "kmap-local" | "kmap";
}

/**
 * Maps `pfns` the way 6.1 reaches high memory (include/linux/highmem-internal.h, mm/highmem.c):
 * `kmap-local` is kmap_local_page() per page (a low page is page_address() with no slot; a
 * high one takes the next per-CPU fixmap slot, stack-ordered, and writes its PTE);
 * `kmap` is kmap() per page (low: page_address(); high: kmap_high() on the pkmap pool).
 * A request the kernel could not serve (the 15-slot kmap_local nesting limit; a full pkmap
 * pool, where kmap() would sleep) is rolled back and refused.
 */
export function highmemMap(
  machine: Machine,
  thread: Thread,
  cpu: number,
  pfns: readonly number[],
  via: HighmemMapState["via"],
): Outcome<{ vpns: number[]; contiguous: boolean; state: HighmemMapState }> {
  const vpns: number[] = [];
  for (const pfn of pfns) {
    let vpn: number;
    if (machine.inDirectMap(pfn)) vpn = pfn;
    else if (via === "kmap-local") vpn = machine.kmapLocalPush(thread, pfn, PAGE_KERNEL);
    else vpn = machine.kmapHigh(cpu, pfn, PAGE_KERNEL);
    if (vpn < 0) {
      highmemUnmap(machine, thread, cpu, vpns, via);
      return unsupported(
        via === "kmap-local"
          ? `kmap_local nesting limit: ${thread.kmapDepth} of ${KMAP_LOCAL_MAX_NESTING} slots in use (KM_MAX_IDX = ${KM_MAX_IDX}, include/asm-generic/kmap_size.h)`
          : `pkmap pool full: all ${machine.pkmapPages} LAST_PKMAP entries in use, kmap() would sleep on pkmap_map_wait (mm/highmem.c map_new_virtual)`,
      );
    }
    vpns.push(vpn);
  }
  return ok({ vpns, contiguous: consecutive(vpns), state: { via } });
}

/** Undoes highmemMap: kunmap_local() in reverse (LIFO) order, or kunmap() of each page. */
export function highmemUnmap(
  machine: Machine,
  thread: Thread,
  cpu: number,
  vpns: readonly number[],
  via: HighmemMapState["via"],
  evict = false,
): void {
  for (let i = vpns.length - 1; i >= 0; i--) {
    const vpn = vpns[i];
    if (vpn < machine.pages) continue; // a low page: page_address(), nothing to undo
    if (via === "kmap-local") machine.kmapLocalPop(thread, vpn);
    else machine.kunmapHigh(cpu, vpn, evict);
  }
}

/**
 * Whether `vpn` is the innermost kmap_local fixmap slot of `thread` (kunmap_local() must
 * unmap the slots in stack order; the kernel would BUG otherwise).
 */
export function topFixmapSlot(machine: Machine, thread: Thread, vpn: number): boolean {
  return thread.kmapDepth >= 1 && machine.fixmapVpn(thread.cpu, thread.kmapDepth - 1) === vpn;
}
