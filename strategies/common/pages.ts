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

/** Maximal runs `[first, count]` of consecutive page numbers in `pfns` (sorted, deduplicated). */
export function contiguousRuns(pfns: ArrayLike<number>): [number, number][] {
  const sorted = [...new Set(Array.from(pfns))].sort((a, b) => a - b);
  const runs: [number, number][] = [];
  for (const pfn of sorted) {
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === pfn) last[1]++;
    else runs.push([pfn, 1]);
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
  return Array.from({ length: count }, (_, i) => first + i);
}
