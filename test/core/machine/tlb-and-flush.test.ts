import { describe, expect, it } from "vitest";
import { Cat, Ev } from "../../../core/ledger.ts";
import {
  FAULT_NOT_PRESENT,
  KMAP_LOCAL_MAX_NESTING,
  OK,
  READ,
  WRITE,
} from "../../../core/machine/index.ts";
import * as pte from "../../../core/machine/pte.ts";
import { Tlb } from "../../../core/machine/tlb.ts";
import { PAGE, smallMachine } from "../helpers.ts";

describe("TLB (per CPU, per page size, LRU)", () => {
  it("keeps a stale entry usable after the PTE is cleared, until INVLPG (no flush, no effect)", () => {
    const machine = smallMachine();
    const vpn = machine.vmallocBase + 100;
    machine.setKernelPte(0, vpn, PAGE, pte.PAGE_KERNEL);
    expect(machine.access(0, vpn, WRITE)).toBe(OK);
    machine.clearKernelPte(0, vpn);
    expect(machine.access(0, vpn, WRITE)).toBe(OK); // stale, still works
    expect(machine.lastPfn).toBe(PAGE);
    expect(machine.access(1, vpn, WRITE)).toBe(FAULT_NOT_PRESENT); // CPU 1 never cached it
    machine.invlpg(0, vpn);
    expect(machine.access(0, vpn, WRITE)).toBe(FAULT_NOT_PRESENT);
  });

  it("keeps a stale entry until a full flush removes it", () => {
    const machine = smallMachine();
    const vpn = machine.vmallocBase + 100;
    machine.setKernelPte(0, vpn, PAGE, pte.PAGE_KERNEL);
    machine.access(0, vpn, READ);
    machine.clearKernelPte(0, vpn);
    expect(machine.access(0, vpn, READ)).toBe(OK);
    machine.flushLocalAll(0);
    expect(machine.access(0, vpn, READ)).toBe(FAULT_NOT_PRESENT);
  });

  it("never caches not-present entries, so mapping a fresh PTE needs no flush", () => {
    const machine = smallMachine();
    const vpn = machine.vmallocBase + 7;
    expect(machine.access(0, vpn, READ)).toBe(FAULT_NOT_PRESENT);
    machine.setKernelPte(0, vpn, PAGE, pte.PAGE_KERNEL);
    expect(machine.access(0, vpn, READ)).toBe(OK);
  });

  it("evicts the least recently used way of a set", () => {
    const tlb = new Tlb(1, { entries4k: 4, entries2m: 1, entries1g: 1, ways: 4 });
    for (let vpn = 0; vpn < 4; vpn++) tlb.insert(0, pte.SIZE_4K, vpn, pte.PTE_PRESENT, vpn);
    tlb.lookup(0, 0); // refresh 0: 1 is now the oldest
    tlb.insert(0, pte.SIZE_4K, 4, pte.PTE_PRESENT, 4);
    expect(tlb.probe(0, 1)).toBe(-1);
    expect(tlb.probe(0, 0)).toBe(pte.SIZE_4K);
    expect(tlb.probe(0, 4)).toBe(pte.SIZE_4K);
  });

  it("holds 4K, 2M and 1G entries in separate arrays, and INVLPG drops any size covering the address", () => {
    const tlb = new Tlb(1, { entries4k: 8, entries2m: 8, entries1g: 8, ways: 2 });
    tlb.insert(0, pte.SIZE_1G, 1 << 18, pte.PTE_PRESENT, 1 << 18);
    tlb.insert(0, pte.SIZE_2M, 5 << 9, pte.PTE_PRESENT, 5 << 9);
    expect(tlb.probe(0, (1 << 18) + 77)).toBe(pte.SIZE_1G);
    expect(tlb.hitPfn).toBe((1 << 18) + 77);
    expect(tlb.probe(0, (5 << 9) + 3)).toBe(pte.SIZE_2M);
    tlb.invalidate(0, (1 << 18) + 500);
    expect(tlb.probe(0, 1 << 18)).toBe(-1);
  });

  it("walks fewer levels for larger leaves: 1G = 2, 2M = 3, 4K = 4 paging-structure reads", () => {
    const machine = smallMachine();
    machine.access(0, PAGE, READ);
    expect(machine.lastWalkLevels).toBe(2);
    machine.splitDirectMap(0, PAGE);
    machine.access(0, PAGE, READ);
    expect(machine.lastWalkLevels).toBe(3);
    machine.splitDirectMap(0, PAGE);
    machine.access(0, PAGE, READ);
    expect(machine.lastWalkLevels).toBe(4);
  });
});

describe("flush_tlb_kernel_range (arch/x86/mm/tlb.c; kernel-mechanics.md 3.5)", () => {
  it("up to 33 pages: IPI to all online CPUs, each runs an INVLPG loop", () => {
    const machine = smallMachine();
    machine.flushTlbKernelRange(0, machine.vmallocBase, 33);
    const events = machine.ledger.events;
    expect(events[Ev.invlpg]).toBe(33 * machine.cpus);
    expect(events[Ev.full_flushes]).toBe(0);
    expect(events[Ev.ipis]).toBe(machine.cpus - 1);
    expect(events[Ev.shootdowns]).toBe(1);
  });

  it("above the 33-page ceiling: a full flush on every CPU instead", () => {
    const machine = smallMachine();
    machine.flushTlbKernelRange(0, machine.vmallocBase, 34);
    const events = machine.ledger.events;
    expect(events[Ev.invlpg]).toBe(0);
    expect(events[Ev.full_flushes]).toBe(machine.cpus);
    expect(events[Ev.ipis]).toBe(machine.cpus - 1);
  });

  it("is synchronous: the initiator waits for the slowest handler, and targets pay the handler", () => {
    const machine = smallMachine();
    // CPU 2's simulated clock is far ahead (operation-granular interleaving): the IPI still
    // interrupts it when sent, so the initiator waits for its handler (csd_lock_wait in
    // smp_call_function_many_cond), not for its clock.
    machine.ledger.clock[2] = 50_000;
    machine.flushTlbKernelRange(0, machine.vmallocBase, 1);
    const handler = machine.profile.parameters.ipi_handler_cycles.value;
    expect(machine.ledger.categoryTotal(Cat.ipi_handle)).toBe(3 * handler);
    expect(machine.now(0)).toBeGreaterThanOrEqual(handler);
    expect(machine.now(0)).toBeLessThan(50_000);
    expect(machine.ledger.categoryTotal(Cat.ipi_wait)).toBeGreaterThan(0);
  });
});

describe("direct map with large pages (arch/x86/mm/pat/set_memory.c; kernel-mechanics.md 4.3)", () => {
  it("boots with 1 GiB leaves by default", () => {
    const machine = smallMachine();
    expect(machine.directLeafSize(PAGE)).toBe(pte.SIZE_1G);
  });

  it("changing one 4K page inside a 1G leaf splits twice, each split a global flush and a page-table page", () => {
    const machine = smallMachine();
    machine.changeDirectMap(0, PAGE, 1, { clear: pte.PTE_PRESENT | pte.PTE_WRITABLE });
    const events = machine.ledger.events;
    expect(machine.directLeafSize(PAGE)).toBe(pte.SIZE_4K);
    expect(events[Ev.direct_map_splits_1g]).toBe(1);
    expect(events[Ev.direct_map_splits_2m]).toBe(1);
    expect(events[Ev.pt_allocs]).toBe(2);
    expect(events[Ev.shootdowns]).toBe(2);
    expect(events[Ev.full_flushes]).toBe(2 * machine.cpus);
    expect(machine.directLeafSize(PAGE + 512)).toBe(pte.SIZE_2M); // neighbours stay large
  });

  it("keeps a large leaf when the change covers all of it", () => {
    const machine = smallMachine();
    const start = 1 << 18;
    machine.changeDirectMap(0, start, 512, { key: 3 });
    expect(machine.directLeafSize(start)).toBe(pte.SIZE_2M); // the 1G leaf had to split once
    expect(machine.ledger.events[Ev.direct_map_splits_2m]).toBe(0);
    machine.changeDirectMap(0, 0, 1 << 18, { key: 4 });
    expect(machine.directLeafSize(0)).toBe(pte.SIZE_1G);
  });

  it("does not split when the requested protection equals the current one", () => {
    const machine = smallMachine();
    machine.changeDirectMap(0, PAGE, 1, { set: pte.PTE_WRITABLE });
    expect(machine.ledger.events[Ev.direct_map_splits]).toBe(0);
  });

  it("a split makes later accesses to the neighbourhood miss more (fragmentation)", () => {
    const before = smallMachine();
    const after = smallMachine();
    after.changeDirectMap(0, PAGE, 1, { clear: pte.PTE_PRESENT });
    for (let i = 1; i < 600; i++) {
      before.access(1, PAGE + i, READ);
      after.access(1, PAGE + i, READ);
    }
    expect(after.ledger.events[Ev.tlb_misses]).toBeGreaterThan(before.ledger.events[Ev.tlb_misses]);
  });
});

describe("kmap_local on the fixmap (mm/highmem.c; kernel-mechanics.md 1.2)", () => {
  it("allows 15 nested mappings per task and refuses the 16th", () => {
    const machine = smallMachine();
    const thread = machine.createThread(0);
    machine.contextSwitch(0, thread);
    for (let i = 0; i < KMAP_LOCAL_MAX_NESTING; i++) {
      expect(machine.kmapLocalPush(thread, PAGE + i, pte.PAGE_KERNEL)).toBeGreaterThan(0);
    }
    expect(machine.kmapLocalPush(thread, PAGE + 99, pte.PAGE_KERNEL)).toBe(-1);
  });

  it("unmaps strictly LIFO with one local INVLPG and no IPI", () => {
    const machine = smallMachine();
    const thread = machine.createThread(0);
    machine.contextSwitch(0, thread);
    const first = machine.kmapLocalPush(thread, PAGE, pte.PAGE_KERNEL);
    const second = machine.kmapLocalPush(thread, PAGE + 1, pte.PAGE_KERNEL);
    expect(() => machine.kmapLocalPop(thread, first)).toThrow(/out of order/);
    machine.kmapLocalPop(thread, second);
    machine.kmapLocalPop(thread, first);
    expect(machine.ledger.events[Ev.invlpg]).toBe(2);
    expect(machine.ledger.events[Ev.ipis]).toBe(0);
    expect(thread.migrateDisable).toBe(0);
  });

  it("context switch clears the outgoing task's slots (n INVLPGs) and rewrites the incoming task's (n PTE writes)", () => {
    const machine = smallMachine();
    const a = machine.createThread(0);
    const b = machine.createThread(0);
    machine.contextSwitch(0, a);
    const vpn = machine.kmapLocalPush(a, PAGE, pte.PAGE_KERNEL);
    machine.kmapLocalPush(a, PAGE + 1, pte.PAGE_KERNEL);
    const events = machine.ledger.events;
    const invlpgBefore = events[Ev.invlpg];
    machine.contextSwitch(0, b);
    expect(events[Ev.invlpg] - invlpgBefore).toBe(2);
    expect(machine.access(0, vpn, READ)).toBe(FAULT_NOT_PRESENT);
    const writesBefore = events[Ev.pte_writes];
    machine.contextSwitch(0, a);
    expect(events[Ev.pte_writes] - writesBefore).toBe(2);
    expect(machine.access(0, vpn, READ)).toBe(OK);
  });

  it("refuses to migrate a thread that holds a local mapping (migrate_disable)", () => {
    const machine = smallMachine();
    const thread = machine.createThread(0);
    machine.contextSwitch(0, thread);
    machine.kmapLocalPush(thread, PAGE, pte.PAGE_KERNEL);
    machine.contextSwitch(0, machine.createThread(0));
    expect(machine.migrate(thread, 1)).toBe(false);
    expect(machine.ledger.events[Ev.migrations_deferred]).toBe(1);
  });
});

describe("locks queue in simulated time", () => {
  it("a second CPU spins until the holder releases, and the wait is charged", () => {
    const machine = smallMachine();
    const lock = machine.lockId("vmap_area_lock");
    machine.acquire(0, lock);
    machine.ledger.clock[0] += 10_000; // critical section
    machine.release(0, lock);
    machine.acquire(1, lock);
    expect(machine.now(1)).toBeGreaterThanOrEqual(10_000);
    expect(machine.ledger.categoryTotal(Cat.lock_spin)).toBeGreaterThan(9_000);
    expect(machine.ledger.events[Ev.lock_contended]).toBe(1);
    machine.release(1, lock);
  });

  it("a mutex wait advances time without charging cycles", () => {
    const machine = smallMachine();
    const lock = machine.lockId("vmap_purge_lock");
    machine.acquire(0, lock, true);
    machine.ledger.clock[0] += 5_000;
    machine.release(0, lock);
    machine.acquire(1, lock, true);
    expect(machine.now(1)).toBeGreaterThanOrEqual(5_000);
    expect(machine.ledger.categoryTotal(Cat.lock_spin)).toBe(0);
  });
});

describe("cpa_flush over a page list (arch/x86/mm/pat/set_memory.c)", () => {
  it("INVLPGs each listed page on every CPU with one IPI round up to 33 pages", () => {
    const machine = smallMachine();
    machine.flushTlbKernelPages(0, [PAGE, PAGE + 100, PAGE + 5000]);
    const events = machine.ledger.events;
    expect(events[Ev.invlpg]).toBe(3 * machine.cpus);
    expect(events[Ev.shootdowns]).toBe(1);
    expect(events[Ev.ipis]).toBe(machine.cpus - 1);
  });

  it("falls back to flush_tlb_all above the ceiling", () => {
    const machine = smallMachine();
    machine.flushTlbKernelPages(
      0,
      Array.from({ length: 34 }, (_, i) => PAGE + 7 * i),
    );
    expect(machine.ledger.events[Ev.full_flushes]).toBe(machine.cpus);
    expect(machine.ledger.events[Ev.invlpg]).toBe(0);
  });
});

describe("fixmap layout (include/asm-generic/fixmap.h __fix_to_virt)", () => {
  it("a higher kmap_local slot has a lower address, so the page past slot i is slot i-1", () => {
    const machine = smallMachine();
    expect(machine.fixmapVpn(0, 1)).toBe(machine.fixmapVpn(0, 0) - 1);
    expect(machine.fixmapVpn(1, 0)).toBe(machine.fixmapVpn(0, 15) - 1);
    expect(machine.virtualAddress(machine.fixmapVpn(0, 0))).toBe(0xffffffffff5ff000n);
    expect(machine.virtualAddress(machine.fixmapVpn(0, 1))).toBe(0xffffffffff5fe000n);
  });
});
