/**
 * Region and stream builders shared by the built-in workloads: the protected pools they
 * ask for, run-wide mapping handles, jittered work, and the operation sequences several
 * kernel paths have in common (a mapping used once; a system call). Each builder yields
 * exactly the operations a workload would write out by hand, in the same order.
 *
 * @packageDocumentation
 */
import type { Intent, KeyMode, OpContext, Scope } from "../../core/contract/strategy.ts";
import type { Operation, RegionSpec } from "../../core/contract/workload.ts";

/** Page size the workloads address in (x86 base page). */
export const PAGE_BYTES = 4096;

/**
 * The region of a workload whose pages come from one protected pool of `params.pages`
 * pages keyed `keyMode`: physically contiguous (a pool keyed in 2 MiB chunks, one split
 * at setup) unless the workload has a `contiguous` parameter to scatter it. `memory:
 * "device"` is a PMEM namespace that memremap_pages() maps with the protection on.
 */
export function keyedPool(keyMode: KeyMode, memory?: "device") {
  return (params: { readonly pages: number; readonly contiguous?: boolean }): RegionSpec => ({
    pages: params.pages,
    keyMode,
    contiguous: params.contiguous ?? true,
    ...(memory ? { memory } : {}),
  });
}

/**
 * Page-table pages as the protected region: write-disable, physically contiguous like the
 * 2 MiB grouped-page cache of Edgecombe's PKS page-table RFC (pagetable-protect, lmbench,
 * mmap-sync, tlb-flush-bench).
 */
export const pageTablePool = keyedPool("write-disable");

/**
 * A run-wide unique mapping handle: the `index`-th handle of thread `thread`. Handles are
 * global so that a consumer can name a producer's mapping (`wait-for`).
 */
export function handleOf(thread: number, threads: number, index: number): number {
  return index * threads + thread;
}

/** Integer drawn around `mean` (uniform on [mean/2, 3*mean/2]), at least 0. */
export function jitter(rng: { int(low: number, high: number): number }, mean: number): number {
  if (mean <= 0) return 0;
  return rng.int(Math.floor(mean / 2), Math.ceil((mean * 3) / 2));
}

/** The map request of a mapping used once: which pages, with what intent, scope and context. */
export interface OneUseMap {
  readonly page: number;
  readonly count: number;
  readonly intent: Intent;
  readonly scope: Scope;
  readonly context: OpContext;
}

/**
 * A mapping used once: map, one access of `length` bytes at `offset` (writing or not),
 * unmap. The shape of a kmap_local_page() bracket around a copy.
 */
export function* mapAccessUnmap(
  handle: number,
  map: OneUseMap,
  offset: number,
  length: number,
  write: boolean,
): Generator<Operation> {
  yield { kind: "map", handle, ...map };
  yield { kind: "access", handle, offset, length, write };
  yield { kind: "unmap", handle };
}

/** A system call: kernel entry, the operations of its handler, kernel exit. */
export function* syscall(body: Iterable<Operation>): Generator<Operation> {
  yield { kind: "kernel-entry", via: "syscall" };
  yield* body;
  yield { kind: "kernel-exit" };
}
