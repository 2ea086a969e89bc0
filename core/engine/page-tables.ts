/**
 * User address spaces whose page-table pages are region pages (issue 18), so that every
 * PTE write goes through the strategy's write window: the window itself (map, write,
 * unmap as stream operations of the running thread), table pages taken from and given
 * back to the region, a thread's address space, and exit_mmap()'s teardown. The lifetime
 * operations (lifetime.ts) are built on these.
 *
 * @packageDocumentation
 */
import type { Operation } from "../contract/workload.ts";
import { Cat, Ev } from "../ledger.ts";
import { Thread } from "../machine/index.ts";
import { type Mm, PTE_BYTES, PTRS_PER_PTE } from "../machine/mm.ts";
import { accessOp, mapOp, unmapOp } from "./mapping-ops.ts";
import type { Op, RunState, SimThread } from "./state.ts";

/** The page-table pages and the cost parameters the lifetime operations charge. */
export function startPageTables(run: RunState): void {
  const { machine } = run;
  run.pteWriteId = machine.parameterId("pte_write_cycles");
  run.pageFreeId = machine.parameterId("page_free_cycles");
  run.bulkCallId = machine.parameterId("page_alloc_bulk_call_cycles");
  run.bulkPageId = machine.parameterId("page_alloc_bulk_page_cycles");
  run.switchId = machine.parameterId("context_switch_cycles");
}

/** What every page-table write window maps: one page, for writing, on this CPU only. */
const WINDOW = { count: 1, intent: "write", scope: "local" } as const;

/** What the interpreter records of an operation it executes, for a window's own three. */
function enter(run: RunState, cpu: number, op: Operation): void {
  run.siteOperation = op;
  run.siteCpu = cpu;
  run.lastOpKind[cpu] = op.kind;
}

/**
 * One write window on page-table page `page`: map, write the `ptes` PTE slots from `slot`
 * (of which `writes` are changed, by default all), unmap. PTE updates run under the
 * page-table lock (pte_offset_map_lock in do_anonymous_page, copy_pte_range,
 * zap_pte_range): atomic; only zeroing a new table (pte_alloc_one, GFP_KERNEL) may sleep.
 */
export function ptWrite(
  run: RunState,
  cpu: number,
  sim: SimThread,
  page: number,
  slot: number,
  ptes: number,
  writes = ptes,
  context: "atomic" | "sleepable" = "atomic",
): void {
  if (ptes <= 0) return;
  const kind = run.lastOpKind[cpu];
  const handle = run.ptHandle--;
  const map: Op<"map"> = { kind: "map", handle, page, ...WINDOW, context };
  enter(run, cpu, map);
  mapOp(run, cpu, sim, map);
  const access: Op<"access"> = {
    kind: "access",
    handle,
    offset: slot * PTE_BYTES,
    length: Math.min(ptes, PTRS_PER_PTE - slot) * PTE_BYTES,
    write: true,
  };
  enter(run, cpu, access);
  accessOp(run, cpu, sim, access);
  const unmap: Op<"unmap"> = { kind: "unmap", handle };
  enter(run, cpu, unmap);
  unmapOp(run, cpu, sim, unmap);
  run.ledger.count(Ev.pte_writes, writes);
  run.ledger.charge(cpu, Cat.pte_write, run.pteWriteId, writes);
  run.lastOpKind[cpu] = kind;
}

/** A new page-table page (pte_alloc_one: an order-0 page, zeroed inside a window). */
export function allocTable(run: RunState, cpu: number, sim: SimThread): number {
  // Freed pages first (last freed, first taken), then the never-used ones lowest first.
  let page = run.ptFree.pop();
  if (page === undefined && run.ptUnused < run.region.pfns.length) page = run.ptUnused++;
  if (page === undefined) {
    throw new Error(
      `the protected region (${run.region.pfns.length} pages) has no page left for another page table; enlarge the workload's pages parameter`,
    );
  }
  run.ledger.count(Ev.pt_allocs);
  run.ledger.charge(cpu, Cat.pt_alloc, run.machine.parameterId("page_alloc_cycles"));
  ptWrite(run, cpu, sim, page, 0, PTRS_PER_PTE, PTRS_PER_PTE, "sleepable");
  return page;
}

function freeTable(run: RunState, cpu: number, page: number): void {
  run.ledger.charge(cpu, Cat.page_alloc, run.pageFreeId);
  run.ptFree.push(page);
}

/** The thread's address space, made (with its pgd) on first use. */
export function ownMm(run: RunState, cpu: number, sim: SimThread): Mm {
  const { machine } = run;
  const thread = sim.thread;
  if (thread.mm < 0) {
    thread.mm = 1_000_000_000 + thread.id;
    machine.mm(thread.mm).users++;
    machine.switchMm(cpu, thread);
  }
  return withPgd(run, cpu, sim, machine.mm(thread.mm));
}

/** `mm` with its pgd allocated. */
export function withPgd(run: RunState, cpu: number, sim: SimThread, mm: Mm): Mm {
  if (mm.pgd < 0) mm.pgd = allocTable(run, cpu, sim);
  return mm;
}

/** The table for user page `page` of `mm`, allocated when missing (__pte_alloc). */
export function tableOf(run: RunState, cpu: number, sim: SimThread, mm: Mm, page: number): number {
  const index = Math.floor(page / PTRS_PER_PTE);
  let table = mm.tables.get(index);
  if (table === undefined) {
    table = allocTable(run, cpu, sim);
    mm.tables.set(index, table);
  }
  return table;
}

/** Runs `work` as another process (a forked child) with address space `mmId` on `cpu`. */
export function asProcess(run: RunState, cpu: number, mmId: number, work: () => void): void {
  const { machine } = run;
  const stand = new Thread(-1, cpu);
  stand.mm = mmId;
  machine.switchMm(cpu, stand);
  work();
  machine.switchMm(cpu, machine.current[cpu]);
}

/** exit_mmap(): zap every table in one window each, full flush (tables freed), free them. */
export function teardown(run: RunState, cpu: number, sim: SimThread, mmId: number): void {
  const { machine } = run;
  const mm = machine.mms.get(mmId);
  if (mm === undefined) return;
  run.ledger.count(Ev.exits);
  for (const [index, table] of mm.tables) {
    let first = PTRS_PER_PTE;
    let last = -1;
    let present = 0;
    for (let slot = 0; slot < PTRS_PER_PTE; slot++) {
      if (mm.ptes.has(index * PTRS_PER_PTE + slot)) {
        if (slot < first) first = slot;
        last = slot;
        present++;
      }
    }
    if (last >= 0) ptWrite(run, cpu, sim, table, first, last - first + 1, present);
  }
  machine.flushTlbMmRange(cpu, mmId, Number.POSITIVE_INFINITY, true);
  for (const table of mm.tables.values()) freeTable(run, cpu, table);
  if (mm.pgd >= 0) freeTable(run, cpu, mm.pgd);
  machine.dropMm(mmId);
}

/** The thread stops using its address space; the last user tears it down. */
export function releaseMm(run: RunState, cpu: number, sim: SimThread): void {
  const { machine } = run;
  const thread = sim.thread;
  if (thread.mm < 0) return;
  const mm = machine.mms.get(thread.mm);
  const id = thread.mm;
  thread.mm = -1;
  machine.switchMm(cpu, thread);
  if (mm && --mm.users <= 0) teardown(run, cpu, sim, id);
}
