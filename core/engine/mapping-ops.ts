/**
 * The interpreter's handlers of the mapping operations: map, access, direct-read, unmap,
 * compute, and page moves (protect-pages, release-pages). Each asks the strategy through
 * its hooks, counts what it served, and marks the stream's stray points.
 *
 * @packageDocumentation
 */
import { Cat, Ev } from "../ledger.ts";
import { OK, READ, type Thread, WRITE } from "../machine/index.ts";
import { directRead, legitimateAccess } from "./access.ts";
import type { LiveMapping, Op, RunState, SimThread } from "./state.ts";
import { rememberDirectUnmap, rememberUnmap, setOwned, strayPoint } from "./strays.ts";

/** Pages per alloc_pages_bulk_array*() call in vm_area_alloc_pages() (mm/vmalloc.c, 6.1). */
const VMALLOC_BULK_MAX = 100;

/** A map request to the strategy; the stream's mapping is open whether it serves it or not. */
export function mapOp(run: RunState, cpu: number, sim: SimThread, op: Op<"map">): void {
  const { counters, hooks, ledger } = run;
  const thread = sim.thread;
  const regionPfns = run.region.pfns;
  const pfns: number[] = [];
  for (let i = 0; i < op.count; i++) pfns.push(regionPfns[op.page + i]);
  counters.maps++;
  if (op.count > 1) counters.multiPageMaps++;
  if (op.scope === "local") counters.localMaps++;
  // What the stream mapped, whether or not the strategy can serve it: other threads'
  // waits and the stray schedule follow the stream, not the strategy.
  run.intendedLive.set(op.handle, pfns);
  const outcome = hooks.onMap
    ? hooks.onMap({
        cpu,
        thread,
        pfns,
        intent: op.intent,
        scope: op.scope,
        context: op.context ?? "sleepable",
      })
    : { kind: "unsupported" as const, reason: "strategy has no map hook" };
  if (outcome.kind === "unsupported") {
    counters.unsupportedMaps++;
    run.unsupportedReasons.add(`${op.scope}: ${outcome.reason}`);
    return;
  }
  const allocated = op.allocate === true;
  if (allocated) {
    // vmalloc(): __vmalloc_area_node() -> vm_area_alloc_pages() takes order-0 pages
    // with alloc_pages_bulk_array*(), at most 100 per call, after the area is
    // allocated and outside every vmap lock (mm/vmalloc.c, 6.1).
    ledger.charge(cpu, Cat.page_alloc, run.bulkCallId, Math.ceil(op.count / VMALLOC_BULK_MAX));
    ledger.charge(cpu, Cat.page_alloc, run.bulkPageId, op.count);
  }
  run.live.set(op.handle, {
    allocated,
    firstPage: op.page,
    handle: op.handle,
    mapping: outcome.value,
    pfns,
    thread,
    cpu,
    users: [cpu],
    scope: op.scope,
  });
}

/** Legitimate accesses through a mapping, page by page, each a stray point. */
export function accessOp(run: RunState, cpu: number, sim: SimThread, op: Op<"access">): void {
  const pfns = run.intendedLive.get(op.handle);
  if (!pfns) return; // not a mapping of the stream (a workload bug); nothing to do
  const mapping = run.live.get(op.handle);
  const first = Math.floor(op.offset / 4096);
  const last = Math.floor((op.offset + Math.max(1, op.length) - 1) / 4096);
  for (let page = first; page <= last && page < pfns.length; page++) {
    if (mapping) legitimateAccess(run, cpu, sim, mapping, page, op.write);
    else run.counters.skippedAccesses++; // work the refused map leaves undone
    strayPoint(run, cpu, sim, mapping, pfns);
  }
}

/** page_address() reads of region pages with no map call, each a stray point. */
export function directReadOp(
  run: RunState,
  cpu: number,
  sim: SimThread,
  op: Op<"direct-read">,
): void {
  const regionPfns = run.region.pfns;
  const first = op.page + Math.floor(op.offset / 4096);
  const last = op.page + Math.floor((op.offset + Math.max(1, op.length) - 1) / 4096);
  // The pages this page_address() reader reads: its "window" for the stray schedule,
  // which must meet the same strays as a caller that maps them (same points).
  const pfns: number[] = [];
  for (let page = first; page <= last && page < regionPfns.length; page++) {
    pfns.push(regionPfns[page]);
  }
  for (const pfn of pfns) {
    directRead(run, cpu, sim, pfn);
    strayPoint(run, cpu, sim, undefined, pfns);
  }
  // The pointer goes out of use: later unmap-class strays may aim through it.
  if (pfns.length > 0) rememberDirectUnmap(run, sim, pfns, cpu);
}

/** An unmap request to the strategy; the mapping becomes a target of the unmap strays. */
export function unmapOp(run: RunState, cpu: number, sim: SimThread, op: Op<"unmap">): void {
  const pfns = run.intendedLive.get(op.handle);
  if (!pfns) return;
  run.intendedLive.delete(op.handle);
  const mapping = run.live.get(op.handle);
  if (!mapping) {
    // Refused map: later strays at "its" address go through the direct map.
    rememberDirectUnmap(run, sim, pfns, cpu);
    return;
  }
  const thread = sim.thread;
  run.live.delete(op.handle);
  const unmapped = run.hooks.onUnmap?.({ cpu, thread, mapping: mapping.mapping });
  if (unmapped && unmapped.kind === "unsupported") {
    run.counters.unsupportedUnmaps++;
    run.unsupportedReasons.add(`unmap: ${unmapped.reason}`);
  } else if (run.checking) {
    checkProtectionBack(run, cpu, thread, mapping);
  }
  if (mapping.allocated) {
    // vfree() -> __vunmap(): after the mapping is gone, __free_pages() per page.
    run.ledger.charge(cpu, Cat.page_alloc, run.pageFreeId, mapping.pfns.length);
  }
  rememberUnmap(sim, {
    vpns: mapping.mapping.vpns,
    pfns: mapping.pfns,
    cpu,
    // Not copied: the mapping has left run.live, so nothing adds users to it any more.
    users: mapping.users,
    purges: run.ledger.events[Ev.vmap_purges],
  });
}

/**
 * After an unmap, the unmapped pages must be protected again on the unmapping CPU, unless
 * the strategy declares otherwise or the same thread still holds another mapping there
 * (PKS lifts a key for the whole thread while any of its mappings is open).
 */
function checkProtectionBack(run: RunState, cpu: number, thread: Thread, gone: LiveMapping): void {
  const { machine, owned } = run;
  if (!run.spec.strategy.restoresProtection || machine.current[cpu] !== thread) return;
  // A fault handler that granted this thread access (PKS relaxed mode) lifted protection
  // on purpose until the thread's own next restore: not a violation of the strategy.
  if (run.grantedThreads.has(thread)) return;
  for (const other of run.live.values()) if (other.thread === thread) return;
  if (thread.exceptionPkrs.length > 0) return;
  const kind = run.region.keyMode === "access-disable" ? READ : WRITE;
  gone.pfns.forEach((pfn, i) => {
    if (owned && owned.position[gone.firstPage + i] < 0) return; // not protected now
    if (machine.probeAccess(cpu, pfn, kind) === OK) {
      run.violation(
        `protection not back after unmap of handle ${gone.handle}: CPU ${cpu} can ${kind === READ ? "read" : "write"} pfn ${pfn} through the direct map`,
      );
    }
  });
}

/** Unrelated work: derived cycles and reads of unprotected memory; a stray point. */
export function computeOp(run: RunState, cpu: number, sim: SimThread, op: Op<"compute">): void {
  const { machine } = run;
  strayPoint(run, cpu, sim);
  if (op.cycles > 0) run.ledger.chargeDerived(cpu, Cat.work, op.cycles);
  for (let i = 0; i < op.touches; i++) {
    // Unprotected kernel memory anywhere in the direct map (never a region page), so
    // that direct-map fragmentation around the region costs TLB misses here too.
    let pfn = sim.computeRng.int(0, machine.pages - 1);
    while (machine.isWatched(pfn)) pfn = sim.computeRng.int(0, machine.pages - 1);
    machine.access(cpu, pfn, READ);
  }
}

/** protect-pages and release-pages: region pages given to protection, or taken back. */
export function pageMoveOp(
  run: RunState,
  cpu: number,
  sim: SimThread,
  op: Op<"protect-pages" | "release-pages">,
): void {
  const regionPfns = run.region.pfns;
  const pfns: number[] = [];
  for (let i = 0; i < op.count; i++) pfns.push(regionPfns[op.page + i]);
  const protect = op.kind === "protect-pages";
  const hook = protect ? run.hooks.onPagesProtect : run.hooks.onPagesRelease;
  const outcome = hook?.(cpu, pfns);
  if (outcome && outcome.kind === "unsupported") {
    run.counters.refusedPageMoves++;
    run.unsupportedReasons.add(outcome.reason);
  }
  setOwned(run, op.page, op.count, protect);
  sim.protectedPages += protect ? op.count : -op.count;
  strayPoint(run, cpu, sim);
}
