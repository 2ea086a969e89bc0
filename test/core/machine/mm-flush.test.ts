import { describe, expect, it } from "vitest";
import { Cat, Ev } from "../../../core/ledger.ts";
import { type Machine, READ } from "../../../core/machine/index.ts";
import { pkrsWith, pksInitValue } from "../../../core/machine/pkrs.ts";
import { PAGE, smallMachine } from "../helpers.ts";

/** Runs a thread of address space `mm` on `cpu` (switch_mm loads it there). */
function runMm(machine: Machine, cpu: number, mm: number) {
  const thread = machine.createThread(cpu);
  thread.mm = mm;
  machine.contextSwitch(cpu, thread);
  return thread;
}

const cycles = (machine: Machine, cpu: number, category: number) =>
  machine.ledger.cycles[(cpu * machine.ledger.cycles.length) / machine.cpus + category];

describe("flush_tlb_mm_range (arch/x86/mm/tlb.c, 6.1)", () => {
  it("interrupts only the CPUs in the mm's cpumask", () => {
    const machine = smallMachine();
    runMm(machine, 0, 7);
    runMm(machine, 1, 7);
    runMm(machine, 2, 8);
    machine.flushTlbMmRange(0, 7, 1);
    expect(machine.ledger.events[Ev.ipis]).toBe(1);
    expect(cycles(machine, 1, Cat.ipi_handle)).toBeGreaterThan(0);
    expect(cycles(machine, 2, Cat.ipi_handle)).toBe(0);
    expect(cycles(machine, 3, Cat.ipi_handle)).toBe(0);
    // One INVLPG locally and one on CPU 1.
    expect(machine.ledger.events[Ev.invlpg]).toBe(2);
  });

  it("leaves a CPU's cpumask bit when it switches to another mm, and skips lazy CPUs unless tables were freed", () => {
    const machine = smallMachine();
    runMm(machine, 0, 7);
    runMm(machine, 1, 7);
    runMm(machine, 2, 7);
    runMm(machine, 1, 9); // CPU 1 leaves mm 7
    runMm(machine, 2, -1); // CPU 2 runs a kernel thread: lazy, still in the mask
    expect(machine.mm(7).cpumask[1]).toBe(0);
    expect(machine.mm(7).cpumask[2]).toBe(1);
    machine.flushTlbMmRange(0, 7, 1);
    expect(machine.ledger.events[Ev.ipis]).toBe(0);
    machine.flushTlbMmRange(0, 7, 1, true);
    expect(machine.ledger.events[Ev.ipis]).toBe(1);
  });

  it("flushes at most 33 pages one by one, above that the whole mm (non-global CR3 flush)", () => {
    const machine = smallMachine();
    runMm(machine, 0, 7);
    machine.flushTlbMmRange(0, 7, 33);
    expect(machine.ledger.events[Ev.invlpg]).toBe(33);
    expect(machine.ledger.events[Ev.user_full_flushes]).toBe(0);
    machine.flushTlbMmRange(0, 7, 34);
    expect(machine.ledger.events[Ev.invlpg]).toBe(33);
    expect(machine.ledger.events[Ev.user_full_flushes]).toBe(1);
    expect(cycles(machine, 0, Cat.tlb_flush)).toBe(
      machine.profile.parameters.cr3_flush_cycles.value,
    );
    // No IPI: nobody else has the mm.
    expect(machine.ledger.events[Ev.ipis]).toBe(0);
  });

  it("a user flush keeps kernel (global) TLB entries; kernel-range flushes still reach every CPU", () => {
    const machine = smallMachine();
    runMm(machine, 0, 7);
    machine.access(0, PAGE, READ);
    machine.flushTlbMmRange(0, 7, 100);
    expect(machine.tlb.probe(0, PAGE)).toBeGreaterThanOrEqual(0);
    machine.flushTlbKernelRange(0, PAGE, 1);
    expect(machine.ledger.events[Ev.ipis]).toBe(machine.cpus - 1);
    expect(machine.tlb.probe(0, PAGE)).toBe(-1);
  });

  it("flush=serial waits for the remote CPUs after its own flush; concurrent overlaps them", () => {
    const initiatorTime = (flush: "serial" | "concurrent") => {
      const machine = smallMachine({ flush });
      for (let cpu = 0; cpu < machine.cpus; cpu++) runMm(machine, cpu, 7);
      machine.beginWorkload();
      const start = machine.now(0);
      machine.flushTlbMmRange(0, 7, 20);
      return machine.now(0) - start;
    };
    const serial = initiatorTime("serial");
    const concurrent = initiatorTime("concurrent");
    const local = 20 * smallMachine().profile.parameters.invlpg_cycles.value;
    expect(serial - concurrent).toBeCloseTo(local, 6);
  });
});

describe("broadcast=invlpgb (AMD INVLPGB + TLBSYNC, RIK25)", () => {
  it("flushes an mm active on 3 or more CPUs without IPIs, paying INVLPGB and TLBSYNC on the initiator", () => {
    const machine = smallMachine({ broadcast: "invlpgb" });
    for (let cpu = 0; cpu < 3; cpu++) runMm(machine, cpu, 7);
    machine.flushTlbMmRange(0, 7, 16);
    expect(machine.ledger.events[Ev.ipis]).toBe(0);
    expect(machine.ledger.events[Ev.invlpgb]).toBe(2); // 16 pages, 8 per INVLPGB
    const p = machine.profile.parameters;
    expect(cycles(machine, 0, Cat.tlb_broadcast)).toBe(
      2 * p.invlpgb_cycles.value + p.tlbsync_cycles.value,
    );
    for (let cpu = 1; cpu < machine.cpus; cpu++) {
      expect(cycles(machine, cpu, Cat.ipi_handle)).toBe(0);
    }
  });

  it("uses IPIs for an mm on fewer CPUs than invlpgbMinCpus", () => {
    const machine = smallMachine({ broadcast: "invlpgb" });
    runMm(machine, 0, 7);
    runMm(machine, 1, 7);
    machine.flushTlbMmRange(0, 7, 1);
    expect(machine.ledger.events[Ev.ipis]).toBe(1);
    expect(machine.ledger.events[Ev.invlpgb]).toBe(0);
  });

  it("invalidates kernel entries on every CPU without interrupting them", () => {
    const machine = smallMachine({ broadcast: "invlpgb" });
    for (let cpu = 0; cpu < machine.cpus; cpu++) machine.access(cpu, PAGE, READ);
    machine.flushTlbKernelRange(0, PAGE, 1);
    expect(machine.ledger.events[Ev.ipis]).toBe(0);
    for (let cpu = 0; cpu < machine.cpus; cpu++) expect(machine.tlb.probe(cpu, PAGE)).toBe(-1);
  });
});

describe("PKRS on interrupt entry of an IPI target (Weiny v10 irqentry)", () => {
  it("saves the interrupted PKRS, runs the handler with the default and restores it", () => {
    const machine = smallMachine();
    const init = pksInitValue({ 1: "wd" });
    machine.enablePks(init);
    const open = pkrsWith(init, 1, "rw");
    const thread = machine.current[1];
    machine.setThreadPkrs(thread, open); // CPU 1 is inside a write window
    const writes = machine.ledger.events[Ev.pkrs_writes];
    const skipped = machine.ledger.events[Ev.pkrs_writes_skipped];
    machine.flushTlbKernelRange(0, PAGE, 1);
    // CPU 1: default on entry and the window back on exit; CPUs 2 and 3: both skipped.
    expect(machine.ledger.events[Ev.pkrs_writes] - writes).toBe(2);
    expect(machine.ledger.events[Ev.pkrs_writes_skipped] - skipped).toBe(4);
    expect(machine.pkrs[1]).toBe(open);
    expect(machine.pkrs[2]).toBe(init);
  });
});
