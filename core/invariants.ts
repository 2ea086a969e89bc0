import { Cat, COST_CATEGORIES, Ev } from "./ledger.ts";
import type { Machine } from "./machine/index.ts";

/** Relative tolerance for sums of floating-point cycle counts. */
const EPSILON = 1e-9;

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= EPSILON * Math.max(1, Math.abs(a), Math.abs(b));
}

/**
 * End-of-run consistency of the ledger with itself and with the event counters. A
 * violation means costs entered the results outside the model's primitives (a plugin
 * writing ledger arrays, say) or a primitive charged without counting.
 */
export function ledgerViolations(machine: Machine): string[] {
  const ledger = machine.ledger;
  const out: string[] = [];
  const total = ledger.totalCycles();
  let categories = 0;
  for (let category = 0; category < COST_CATEGORIES.length; category++) {
    categories += ledger.categoryTotal(category);
  }
  if (!close(categories, total)) {
    out.push(`ledger: categories sum to ${categories}, total is ${total}`);
  }
  let sources = ledger.derivedCycles;
  for (const row of ledger.bySource()) sources += row.cycles;
  if (!close(sources, total)) {
    out.push(`ledger: named parameters and derived waits sum to ${sources}, total is ${total}`);
  }
  const value = (name: string) => machine.profile.parameters[name].value;
  const pairs: [string, number, number][] = [
    ["invlpg", ledger.categoryTotal(Cat.invlpg), ledger.events[Ev.invlpg] * value("invlpg_cycles")],
    [
      "tlb_flush",
      ledger.categoryTotal(Cat.tlb_flush),
      ledger.events[Ev.full_flushes] * value("flush_all_cycles") +
        ledger.events[Ev.user_full_flushes] * value("cr3_flush_cycles"),
    ],
    [
      "ipi_handle",
      ledger.categoryTotal(Cat.ipi_handle),
      ledger.events[Ev.ipis] * value("ipi_handler_cycles"),
    ],
    [
      "context_switch",
      ledger.categoryTotal(Cat.context_switch),
      ledger.events[Ev.context_switches] * value("context_switch_cycles"),
    ],
    [
      "fault",
      ledger.categoryTotal(Cat.fault),
      ledger.events[Ev.faults] * value("fault_entry_exit_cycles"),
    ],
  ];
  for (const [name, charged, expected] of pairs) {
    if (!close(charged, expected)) {
      out.push(`ledger: ${name} charged ${charged} cycles, its event count implies ${expected}`);
    }
  }
  const pkrsCharged = ledger.categoryTotal(Cat.pkrs_write);
  const pkrsMinimum = ledger.events[Ev.pkrs_writes] * value("wrmsr_pkrs_cycles");
  if (pkrsCharged + EPSILON < pkrsMinimum) {
    out.push(
      `ledger: pkrs_write charged ${pkrsCharged} cycles, below ${pkrsMinimum} for its writes`,
    );
  }
  return out;
}
