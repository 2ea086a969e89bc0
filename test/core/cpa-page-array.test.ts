import { describe, expect, it } from "vitest";
import { Ev } from "../../core/ledger.ts";
import { PTE_WRITABLE } from "../../core/machine/pte.ts";
import { setPagesArray } from "../../strategies/common/direct-map.ts";
import { smallMachine } from "./helpers.ts";

const SIZE_4K = 0;
const SIZE_2M = 1;
const SIZE_1G = 2;

/**
 * set_memory_*() on a page array (CPA_PAGES_ARRAY, arch/x86/mm/pat/set_memory.c
 * __change_page_attr_set_clr() -> __change_page_attr() per page): only the large leaves
 * that cover the listed pages are split (should_split_large_page() per address), one
 * level at a time; the rest of the direct map keeps its leaves.
 */
describe("CPA on a page array splits only the leaves covering those pages", () => {
  it("two scattered pages in one 1 GiB leaf: one 1G split, two 2M splits, every other 2M leaf intact", () => {
    const machine = smallMachine();
    const gib = 1 << 18;
    const a = gib + 3 * 512 + 7; // in the 4th 2 MiB leaf of the second GiB
    const b = gib + 300 * 512 + 1; // in the 301st
    expect(machine.directLeafSize(a)).toBe(SIZE_1G);
    setPagesArray(machine, undefined, 0, [a, b], { clear: PTE_WRITABLE });
    expect(machine.ledger.events[Ev.direct_map_splits_1g]).toBe(1);
    expect(machine.ledger.events[Ev.direct_map_splits_2m]).toBe(2);
    expect(machine.directLeafSize(a)).toBe(SIZE_4K);
    expect(machine.directLeafSize(b)).toBe(SIZE_4K);
    // A neighbour 2 MiB leaf, and a page between the two, keep their 2M leaves.
    expect(machine.directLeafSize(gib + 4 * 512)).toBe(SIZE_2M);
    expect(machine.directLeafSize(gib + 100 * 512)).toBe(SIZE_2M);
    // Another GiB is untouched.
    expect(machine.directLeafSize(2 * gib + 5)).toBe(SIZE_1G);
    // Only the two pages changed.
    expect(machine.directPte(a) & PTE_WRITABLE).toBe(0);
    expect(machine.directPte(a + 1) & PTE_WRITABLE).toBe(PTE_WRITABLE);
  });
});
