/**
 * Lists of page numbers: runs of consecutive pages, spans, the pages a direct map holds.
 *
 * @packageDocumentation
 */
import type { Machine } from "../../core/machine/index.ts";

/** True when `values[i] = values[0] + i`. */
export function consecutive(values: ArrayLike<number>): boolean {
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0] + i) return false;
  return true;
}

/** Whether `pfns` never decreases. */
function ascending(pfns: ArrayLike<number>): boolean {
  for (let i = 1; i < pfns.length; i++) if (pfns[i] < pfns[i - 1]) return false;
  return true;
}

/** Maximal runs `[first, count]` of consecutive page numbers in `pfns` (sorted, deduplicated). */
export function contiguousRuns(pfns: ArrayLike<number>): [number, number][] {
  // A typed copy sorts numerically without a comparator or a Set (a setup hot path:
  // every set_pages_array_* and direct-map change of a region goes through here). Most
  // regions are placed in ascending order already: then there is nothing to sort.
  const sorted = ascending(pfns) ? pfns : Float64Array.from(pfns).sort();
  const runs: [number, number][] = [];
  let last: [number, number] | undefined;
  for (let i = 0; i < sorted.length; i++) {
    const pfn = sorted[i];
    if (last !== undefined) {
      const next = last[0] + last[1];
      if (pfn < next) continue; // a repeat of the last page
      if (pfn === next) {
        last[1]++;
        continue;
      }
    }
    last = [pfn, 1];
    runs.push(last);
  }
  return runs;
}

/** The lowest page of `pfns` and the span `[low, high]` covers (`pfns` not empty). */
export function pfnSpan(pfns: ArrayLike<number>): { low: number; span: number } {
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < pfns.length; i++) {
    low = Math.min(low, pfns[i]);
    high = Math.max(high, pfns[i]);
  }
  return { low, span: high - low + 1 };
}

/**
 * The pages of `pfns` that have a direct-map entry (all of them on x86-64; the low ones on a
 * HIGHMEM machine, where high pages have no linear mapping to protect or change).
 */
export function inDirectMap(machine: Machine, pfns: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < pfns.length; i++) if (machine.inDirectMap(pfns[i])) out.push(pfns[i]);
  return out;
}

/** Direct-map virtual page numbers of `pfns`: page_address() is PAGE_OFFSET + pfn · 4096. */
export function directMapVpns(pfns: readonly number[]): number[] {
  return pfns.slice();
}

/** Pages `[first, first + count)` as a list. */
export function range(first: number, count: number): number[] {
  // A loop, not Array.from({ length }): this runs on every map of a range and
  // Array.from's generic iteration protocol was 4% of a per-call trace replay.
  const pages: number[] = [];
  for (let i = 0; i < count; i++) pages.push(first + i);
  return pages;
}
