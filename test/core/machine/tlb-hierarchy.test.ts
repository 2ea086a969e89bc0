import { describe, expect, it } from "vitest";
import { Cat, Ev } from "../../../core/ledger.ts";
import { READ } from "../../../core/machine/index.ts";
import { SIZE_1G, SIZE_2M, SIZE_4K } from "../../../core/machine/pte.ts";
import { Tlb } from "../../../core/machine/tlb.ts";
import { Rng } from "../../../core/rng.ts";
import { smallMachine } from "../helpers.ts";

/** Fully associative levels so that eviction order is LRU, not set placement. */
const tiny = () =>
  new Tlb(1, {
    entries4k: 2,
    entries2m: 2,
    entries1g: 2,
    ways: 2,
    stlbEntries: 8,
    stlbEntries1g: 4,
    stlbWays: 8,
  });

describe("TLB hierarchy: per-CPU L1 DTLB and an STLB with shared 4K/2M entries and a 1G array", () => {
  it("an L1 miss that hits the STLB refills the L1", () => {
    const tlb = tiny();
    for (let i = 0; i < 3; i++) tlb.insert(0, SIZE_4K, i, 1, 100 + i);
    // vpn 0 was pushed out of the 2-entry L1, but the STLB still holds it.
    expect(tlb.lookupIn(0, 0, SIZE_4K)).toBe(SIZE_4K);
    expect(tlb.hitLevel).toBe(2);
    expect(tlb.hitPfn).toBe(100);
    expect(tlb.lookupIn(0, 0, SIZE_4K)).toBe(SIZE_4K);
    expect(tlb.hitLevel).toBe(1);
  });

  it("4K and 2M translations compete for the same STLB entries; 1G ones have their own array", () => {
    const tlb = tiny();
    tlb.insert(0, SIZE_1G, 0, 1, 0);
    for (let i = 0; i < 8; i++) tlb.insert(0, SIZE_4K, (1 << 18) + i, 1, i);
    for (let i = 0; i < 8; i++) tlb.insert(0, SIZE_2M, (2 << 18) + (i << 9), 1, i << 9);
    let fours = 0;
    for (let i = 0; i < 8; i++) if (tlb.probe(0, (1 << 18) + i) >= 0) fours++;
    // Only the two the L1 4K array still holds: the STLB copies were evicted by the 2M ones.
    expect(fours).toBe(tlb.capacity(SIZE_4K));
    expect(tlb.probe(0, 5)).toBe(SIZE_1G);
    expect(tlb.stlbCapacity(SIZE_4K)).toBe(tlb.stlbCapacity(SIZE_2M));
  });

  it("INVLPG and a full flush drop an entry from both levels", () => {
    const tlb = tiny();
    for (let i = 0; i < 3; i++) tlb.insert(0, SIZE_4K, i, 1, i);
    tlb.invalidate(0, 0);
    expect(tlb.probe(0, 0)).toBe(-1);
    tlb.flushAll(0);
    expect(tlb.validEntries(0)).toBe(0);
  });

  it("the machine charges stlb_hit_cycles for an STLB hit and a walk only on an STLB miss", () => {
    const machine = smallMachine({ directMapLeaf: "4k", l1dEntries4k: 4, l1dWays: 4 });
    const pages = [1 << 18, (1 << 18) + 1000, (1 << 18) + 2000, (1 << 18) + 3000, (1 << 18) + 4000];
    for (const page of pages) machine.access(0, page, READ);
    const walks = machine.ledger.events[Ev.tlb_misses];
    machine.access(0, pages[0], READ); // evicted from the 4-entry L1, still in the STLB
    expect(machine.ledger.events[Ev.tlb_misses]).toBe(walks);
    expect(machine.ledger.events[Ev.stlb_hits]).toBe(1);
    const charged = machine.ledger.cycles[Cat.stlb_hit];
    expect(charged).toBe(machine.profile.parameters.stlb_hit_cycles.value);
  });

  it("direct-map leaf size sets the cost of random kernel accesses: 4K > 2M > 1G", () => {
    const cost = (leaf: "4k" | "2m" | "1g") => {
      const machine = smallMachine({ directMapLeaf: leaf });
      const rng = Rng.derive(1, 1);
      for (let i = 0; i < 20_000; i++) machine.access(0, rng.int(0, machine.pages - 1), READ);
      const c = machine.ledger.cycles;
      return c[Cat.tlb_walk] + c[Cat.stlb_hit];
    };
    const [k4, m2, g1] = [cost("4k"), cost("2m"), cost("1g")];
    expect(k4).toBeGreaterThan(m2);
    expect(m2).toBeGreaterThan(g1);
  });
});
