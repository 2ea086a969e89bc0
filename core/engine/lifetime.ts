/**
 * The interpreter's handlers of kernel entry and process lifetime (issue 18): kernel-entry
 * and kernel-exit, user time, user page faults and touches, use-mm, fork, exec, exit and
 * zap, each a kernel path whose PTE writes go through the strategy's write window
 * (page-tables.ts).
 *
 * @packageDocumentation
 */
import { Cat, Ev } from "../ledger.ts";
import {
  type Mm,
  PTRS_PER_PTE,
  UPTE_ANON,
  UPTE_DIRTY,
  UPTE_PRESENT,
  UPTE_WRITE,
} from "../machine/mm.ts";
import {
  allocTable,
  asProcess,
  ownMm,
  ptWrite,
  releaseMm,
  tableOf,
  teardown,
  withPgd,
} from "./page-tables.ts";
import type { Op, RunState, SimThread } from "./state.ts";

/** User page of the stack exec sets up (any page far from the workloads' own pages). */
const STACK_PAGE = 1 << 30;

/** A syscall, exception or interrupt entered (and PKRS saved, per the machine). */
export function kernelEntryOp(
  run: RunState,
  cpu: number,
  sim: SimThread,
  op: Op<"kernel-entry">,
): void {
  sim.entries.push(op.via);
  if (op.via === "syscall") run.machine.syscallEnter(cpu);
  else if (op.via === "exception") run.machine.exceptionEnter(cpu);
  else run.machine.interruptEnter(cpu);
}

/** The innermost open kernel entry left. */
export function kernelExitOp(run: RunState, cpu: number, sim: SimThread): void {
  const via = sim.entries.pop();
  if (via === undefined) {
    if (run.checking) run.violation(`kernel-exit without kernel-entry on CPU ${cpu}`);
    return;
  }
  if (via !== "syscall") run.machine.exceptionExit(cpu);
}

/** Open kernel entries of a thread whose stream ended are closed, innermost first. */
export function closeEntries(run: RunState, cpu: number, sim: SimThread): void {
  while (sim.entries.length > 0) {
    if (sim.entries.pop() !== "syscall") run.machine.exceptionExit(cpu);
  }
}

/** User-mode time: no kernel mapping may be live (checked). */
export function userOp(run: RunState, cpu: number, sim: SimThread, op: Op<"user">): void {
  if (run.checking) {
    if (sim.entries.length > 0) {
      run.violation(`user time on CPU ${cpu} inside an open ${sim.entries.at(-1)} entry`);
    }
    for (const mapping of run.live.values()) {
      if (mapping.thread === sim.thread) {
        run.violation(
          `user time on CPU ${cpu} while kernel mapping handle ${mapping.handle} is live`,
        );
        break;
      }
    }
  }
  run.machine.userTime(cpu, op.cycles);
}

/** exc_page_fault -> handle_mm_fault on `mm`: the PTEs installed in one window. */
function fault(run: RunState, cpu: number, sim: SimThread, op: Op<"fault">, mm: Mm): void {
  run.machine.exceptionEnter(cpu);
  run.ledger.count(Ev.user_faults);

  const table = tableOf(run, cpu, sim, mm, op.page);
  const slot = op.page % PTRS_PER_PTE;
  const count = Math.max(1, Math.min(op.ptes ?? 1, PTRS_PER_PTE - slot));
  const anon = op.anon ? UPTE_ANON : 0;
  for (let i = 0; i < count; i++) {
    const page = op.page + i;
    const old = mm.ptes.get(page) ?? 0;
    const wanted = i === 0 && op.write ? UPTE_PRESENT | UPTE_WRITE | UPTE_DIRTY : UPTE_PRESENT;
    mm.ptes.set(page, old | wanted | anon);
  }
  if (op.cycles && op.cycles > 0) run.ledger.chargeDerived(cpu, Cat.work, op.cycles);
  ptWrite(run, cpu, sim, table, slot, count);
  run.machine.exceptionExit(cpu);
}

/** A user page fault in the thread's address space, or in a forked child's. */
export function faultOp(run: RunState, cpu: number, sim: SimThread, op: Op<"fault">): void {
  if (op.mm !== undefined && op.mm !== sim.thread.mm) {
    const id = op.mm;
    asProcess(run, cpu, id, () =>
      fault(run, cpu, sim, op, withPgd(run, cpu, sim, run.machine.mm(id))),
    );
  } else {
    fault(run, cpu, sim, op, ownMm(run, cpu, sim));
  }
}

/** A user access: a fault only when the PTE does not allow it yet. */
export function touchOp(run: RunState, cpu: number, sim: SimThread, op: Op<"touch">): void {
  const mm = ownMm(run, cpu, sim);
  const pte = mm.ptes.get(op.page) ?? 0;
  if (pte & UPTE_PRESENT && (!op.write || pte & UPTE_WRITE)) return;
  fault(run, cpu, sim, { ...op, kind: "fault" }, mm);
}

/** The thread switches to another address space (a kthread's use_mm). */
export function useMmOp(run: RunState, cpu: number, sim: SimThread, op: Op<"use-mm">): void {
  const thread = sim.thread;
  if (thread.mm === op.mm) return;
  releaseMm(run, cpu, sim);
  thread.mm = op.mm;
  withPgd(run, cpu, sim, run.machine.mm(op.mm)).users++;
  run.machine.switchMm(cpu, thread);
}

/** copy_page_range(): the anonymous PTEs copied into new tables, both sides made COW. */
export function forkOp(run: RunState, cpu: number, sim: SimThread, op: Op<"fork">): void {
  const { machine } = run;
  run.ledger.count(Ev.forks);
  const parent = ownMm(run, cpu, sim);
  if (machine.mms.has(op.child)) {
    throw new Error(`fork: address space ${op.child} already exists`);
  }
  const child = withPgd(run, cpu, sim, machine.mm(op.child));
  for (const [index, table] of parent.tables) {
    let copied = 0;
    let copies = 0;
    let first = -1;
    let protectFirst = -1;
    let protectLast = -1;
    let protects = 0;
    for (let slot = 0; slot < PTRS_PER_PTE; slot++) {
      const page = index * PTRS_PER_PTE + slot;
      const pte = parent.ptes.get(page);
      // copy_page_range skips VMAs without anon_vma: file PTEs are refaulted.
      if (pte === undefined || (pte & UPTE_ANON) === 0) continue;
      if (first < 0) first = slot;
      copied = slot - first + 1;
      copies++;
      let next = pte;
      if (pte & UPTE_WRITE) {
        next = pte & ~UPTE_WRITE; // COW: both sides read-only
        parent.ptes.set(page, next);
        if (protectFirst < 0) protectFirst = slot;
        protectLast = slot;
        protects++;
      }
      child.ptes.set(page, next);
    }
    if (copied === 0) continue;
    const childTable = allocTable(run, cpu, sim);
    child.tables.set(index, childTable);
    ptWrite(run, cpu, sim, childTable, first, copied, copies);
    if (protectLast >= 0) {
      ptWrite(run, cpu, sim, table, protectFirst, protectLast - protectFirst + 1, protects);
    }
  }
  machine.flushTlbMmRange(cpu, parent.id, Number.POSITIVE_INFINITY);
}

/** The old address space dropped, the new one's stack table and first PTEs written. */
export function execOp(run: RunState, cpu: number, sim: SimThread, op: Op<"exec">): void {
  const { machine } = run;
  const thread = sim.thread;
  run.ledger.count(Ev.execs);
  let mm: Mm;
  if (op.from !== undefined && op.from !== thread.mm) {
    // A forked child's exec: it replaces the child's address space, not the caller's.
    const from = op.from;
    asProcess(run, cpu, from, () => teardown(run, cpu, sim, from));
    mm = withPgd(run, cpu, sim, machine.mm(op.mm));
  } else {
    releaseMm(run, cpu, sim);
    thread.mm = op.mm;
    mm = withPgd(run, cpu, sim, machine.mm(op.mm));
    mm.users++;
    machine.switchMm(cpu, thread);
  }
  // setup_arg_pages/copy_strings: the stack's table and its first PTEs.
  const stack = STACK_PAGE;
  const ptes = Math.max(1, op.ptes ?? 1);
  const build = () => {
    const table = tableOf(run, cpu, sim, mm, stack);
    for (let i = 0; i < ptes; i++) {
      mm.ptes.set(stack + i, UPTE_PRESENT | UPTE_WRITE | UPTE_DIRTY | UPTE_ANON);
    }
    ptWrite(run, cpu, sim, table, stack % PTRS_PER_PTE, ptes);
  };
  if (mm.id === thread.mm) build();
  else asProcess(run, cpu, mm.id, build);
}

/** The thread's address space released, or a forked child's torn down. */
export function exitOp(run: RunState, cpu: number, sim: SimThread, op: Op<"exit">): void {
  const id = op.mm ?? sim.thread.mm;
  if (id === sim.thread.mm) {
    releaseMm(run, cpu, sim);
    return;
  }
  // A forked child's exit: it runs on this CPU between two context switches.
  run.ledger.count(Ev.context_switches, 2);
  run.ledger.charge(cpu, Cat.context_switch, run.switchId, 2);
  asProcess(run, cpu, id, () => teardown(run, cpu, sim, id));
}

/** zap_pte_range() (`clear`) or a write-protect pass over dirty PTEs (`wrprotect`). */
export function zapOp(run: RunState, cpu: number, sim: SimThread, op: Op<"zap">): void {
  const { machine, ledger } = run;
  const mm = ownMm(run, cpu, sim);
  if (op.mode === "clear") {
    let cleared = 0;
    let page = op.page;
    const end = op.page + op.count;
    while (page < end) {
      const index = Math.floor(page / PTRS_PER_PTE);
      const stop = Math.min(end, (index + 1) * PTRS_PER_PTE);
      let first = -1;
      let last = -1;
      let here = 0;
      for (let p = page; p < stop; p++) {
        if (mm.ptes.delete(p)) {
          if (first < 0) first = p;
          last = p;
          here++;
        }
      }
      const table = mm.tables.get(index);
      if (table !== undefined && last >= 0) {
        ptWrite(run, cpu, sim, table, first % PTRS_PER_PTE, last - first + 1, here);
        cleared += here;
      }
      page = stop;
    }
    if (cleared > 0) machine.flushTlbMmRange(cpu, mm.id, op.count);
    return;
  }
  for (let page = op.page; page < op.page + op.count; page++) {
    const pte = mm.ptes.get(page);
    if (pte === undefined || (pte & UPTE_DIRTY) === 0) continue;
    mm.ptes.set(page, pte & ~(UPTE_WRITE | UPTE_DIRTY));
    const table = mm.tables.get(Math.floor(page / PTRS_PER_PTE));
    // ptep_clear_flush + set_pte_at(pte_wrprotect(pte_mkclean)): two writes of one PTE.
    if (table !== undefined) {
      ptWrite(run, cpu, sim, table, page % PTRS_PER_PTE, 1);
      ledger.count(Ev.pte_writes);
      ledger.charge(cpu, Cat.pte_write, run.pteWriteId);
    }
    machine.flushTlbMmRange(cpu, mm.id, 1);
  }
}
