/**
 * Where the protected region lives in physical memory.
 *
 * @packageDocumentation
 */
import type { ProtectedRegion } from "../contract/strategy.ts";
import type { RegionSpec } from "../contract/workload.ts";
import type { Machine } from "../machine/index.ts";
import type { Rng } from "../rng.ts";

/** First physical page of the protected region: start of the second GiB. */
export const REGION_BASE_PFN = 1 << 18;

/** Places the region in physical memory: one range, or scattered pages (seeded). */
export function placeRegion(
  pages: number,
  contiguous: boolean,
  physicalPages: number,
  rng: Rng,
  basePfn = REGION_BASE_PFN,
): Int32Array {
  const pfns = new Int32Array(pages);
  if (pages > physicalPages - basePfn) {
    throw new RangeError(`region of ${pages} pages does not fit in physical memory`);
  }
  if (contiguous) {
    for (let i = 0; i < pages; i++) pfns[i] = basePfn + i;
    return pfns;
  }
  // Scattered: distinct pages spread over the memory above the base (the first GiB).
  const span = physicalPages - basePfn;
  const used = new Set<number>();
  for (let i = 0; i < pages; i++) {
    let pfn: number;
    do pfn = basePfn + rng.int(0, span - 1);
    while (used.has(pfn));
    used.add(pfn);
    pfns[i] = pfn;
  }
  return pfns;
}

/**
 * The protected region a strategy is given for `spec`, placed where `machine` lets a
 * region live (all of memory above the first GiB on x86-64; high or low memory on a
 * HIGHMEM machine, Machine.regionRange). The engine's runs and the conformance kit both
 * build their regions here.
 */
export function protectedRegion(machine: Machine, spec: RegionSpec, rng: Rng): ProtectedRegion {
  const [regionBase, regionLimit] = machine.regionRange(REGION_BASE_PFN);
  return {
    pfns: placeRegion(spec.pages, spec.contiguous, regionLimit, rng, regionBase),
    keyMode: spec.keyMode,
    contiguous: spec.contiguous,
    device: spec.memory === "device",
  };
}
