/**
 * Aliases in the vmalloc area (mm/vmalloc.c, 6.1; kernel-mechanics.md 3): vm_map_ram() for
 * short-lived mappings, vmap() for long-lived ones, their unmaps, and their refusal in
 * atomic context, as no-direct-map and vmap-alias use them.
 *
 * @packageDocumentation
 */
import type { Vmalloc } from "../../core/kernel/vmalloc.ts";
import type { Mapping, Outcome } from "../api.ts";
import { mappedAt, sleepsInAtomic, unsupported } from "./outcomes.ts";

/** The refusal of vm_map_ram()/vmap() to an atomic caller: both may sleep. */
export function vmapInAtomic(): { kind: "unsupported"; reason: string } {
  return sleepsInAtomic(
    "vm_map_ram()/vmap()",
    "mm/vmalloc.c: alloc_vmap_area() calls might_sleep(), new_vmap_block() allocates with GFP_KERNEL",
  );
}

/**
 * An alias of `pfns` with PTEs `pte`: vm_map_ram() when `ram`, else vmap(); served with
 * `state`, or refused when the vmalloc space is exhausted.
 */
export function mapAlias<S>(
  vmalloc: Vmalloc,
  cpu: number,
  pfns: readonly number[],
  pte: number,
  ram: boolean,
  state: S,
): Outcome<Mapping<S>> {
  const vpn = ram ? vmalloc.vmMapRam(cpu, pfns, pte) : vmalloc.vmap(cpu, pfns, pte);
  if (vpn < 0) return unsupported("vmalloc space exhausted");
  return mappedAt(vpn, pfns.length, state);
}

/** Undoes {@link mapAlias}: vm_unmap_ram() of the alias when `ram`, else vunmap(). */
export function unmapAlias<S>(
  vmalloc: Vmalloc,
  cpu: number,
  mapping: Mapping<S>,
  ram: boolean,
): void {
  if (ram) vmalloc.vmUnmapRam(cpu, mapping.vpns[0], mapping.vpns.length);
  else vmalloc.vunmap(cpu, mapping.vpns[0]);
}
