/**
 * Legitimate accesses and the kernel's fault handler: an access through a mapping, a
 * read through the direct map (or, for a high page, a kmap_local slot), and the fault
 * path every faulting access, legitimate or stray, takes through the strategy.
 *
 * @packageDocumentation
 */
import type { FaultEvent, FaultResolution } from "../contract/strategy.ts";
import { FAULT_NAMES, FAULT_NOT_PRESENT, OK, READ, type Thread, WRITE } from "../machine/index.ts";
import { PAGE_KERNEL } from "../machine/pte.ts";
import type { LiveMapping, RunState, SimThread } from "./state.ts";

/** The exception the fault raises, handled by the strategy's `onFault` (default: oops). */
export function handleFault(
  run: RunState,
  cpu: number,
  thread: Thread,
  vpn: number,
  write: boolean,
  fault: number,
): FaultResolution {
  run.machine.exceptionEnter(cpu);
  const event: FaultEvent = {
    cpu,
    thread,
    vpn,
    write,
    reason: FAULT_NAMES[fault] as FaultEvent["reason"],
  };
  const resolution = run.hooks.onFault ? run.hooks.onFault(event) : "oops";
  run.machine.exceptionExit(cpu);
  if (resolution === "retry") run.grantedThreads.add(thread);
  return resolution;
}

/** A legitimate access through a mapping; faults are false faults. */
export function legitimateAccess(
  run: RunState,
  cpu: number,
  sim: SimThread,
  mapping: LiveMapping,
  pageIndex: number,
  write: boolean,
): void {
  const { machine, counters } = run;
  const vpn = mapping.mapping.vpns[pageIndex];
  if (!mapping.users.includes(cpu)) mapping.users.push(cpu);
  let fault = machine.access(cpu, vpn, write ? WRITE : READ);
  if (fault !== OK) {
    counters.falseFaults++;
    if (run.checking && run.supportsScope(mapping.scope) && mapping.cpu === cpu) {
      run.violation(
        `${mapping.scope} ${write ? "write" : "read"} through handle ${mapping.handle} faulted (${FAULT_NAMES[fault]}) on CPU ${cpu}, a scope ${run.spec.strategy.name} claims to support`,
      );
    }
    const resolution = handleFault(run, cpu, sim.thread, vpn, write, fault);
    if (resolution === "retry") fault = machine.access(cpu, vpn, write ? WRITE : READ);
    if (resolution === "oops") counters.falseFaultsOops++;
    else if (fault === OK) counters.falseFaultsGranted++;
    if (fault !== OK) {
      counters.brokenAccesses++;
      if (resolution === "oops") counters.oopses++;
      return;
    }
  }
  if (write && machine.lastPfn !== mapping.pfns[pageIndex]) {
    run.ledger.recordUnintendedWrite({
      cpu,
      time: machine.now(cpu),
      pfn: machine.lastPfn,
      intendedPfn: mapping.pfns[pageIndex],
      operation: `legitimate write through handle ${mapping.handle}`,
    });
  }
}

/**
 * A read through the direct map with no map call (page_address(), or a page-table walker
 * reading a table page): legitimate, so a fault is a false fault; unresolved, it breaks.
 */
export function directRead(run: RunState, cpu: number, sim: SimThread, pfn: number): void {
  const { machine, counters } = run;
  counters.directReads++;
  if (!machine.inDirectMap(pfn)) {
    highRead(run, cpu, sim, pfn);
    return;
  }
  let fault = machine.access(cpu, pfn, READ);
  if (fault === OK) return;
  counters.falseFaults++;
  const resolution = handleFault(run, cpu, sim.thread, pfn, false, fault);
  if (resolution === "retry") fault = machine.access(cpu, pfn, READ);
  if (resolution === "oops") counters.falseFaultsOops++;
  else if (fault === OK) counters.falseFaultsGranted++;
  if (fault !== OK) {
    counters.brokenAccesses++;
    counters.brokenDirectReads++;
    if (resolution === "oops") counters.oopses++;
  }
}

/**
 * The same read of a high page (HIGHMEM machine), which has no page_address(): 6.1 reaches
 * it through kmap_atomic(), a kmap_local fixmap slot (pte_offset_map() with CONFIG_HIGHPTE,
 * include/linux/pgtable.h). The slot is taken and released around the read.
 */
function highRead(run: RunState, cpu: number, sim: SimThread, pfn: number): void {
  const { machine, counters } = run;
  const vpn = machine.kmapLocalPush(sim.thread, pfn, PAGE_KERNEL);
  let fault = vpn < 0 ? FAULT_NOT_PRESENT : machine.access(cpu, vpn, READ);
  if (vpn >= 0 && fault !== OK) {
    counters.falseFaults++;
    const resolution = handleFault(run, cpu, sim.thread, vpn, false, fault);
    if (resolution === "retry") fault = machine.access(cpu, vpn, READ);
    if (resolution === "oops") counters.oopses++;
  }
  if (vpn >= 0) machine.kmapLocalPop(sim.thread, vpn);
  if (fault !== OK) {
    counters.brokenAccesses++;
    counters.brokenDirectReads++;
  }
}
