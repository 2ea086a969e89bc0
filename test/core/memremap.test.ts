import { describe, expect, it } from "vitest";
import { Ev } from "../../core/ledger.ts";
import { FAULT_PKEY, OK, READ } from "../../core/machine/index.ts";
import { pteKey } from "../../core/machine/pte.ts";
import { BUILTIN_STRATEGIES } from "../../strategies/registry.ts";
import { BUILTIN_WORKLOADS } from "../../workloads/registry.ts";
import { simulate } from "../helpers/sim.ts";
import { smallMachine } from "./helpers.ts";

const SIZE_4K = 0;
const SIZE_2M = 1;

/**
 * PMEM is keyed when memremap_pages() maps it (Weiny v10 "memremap_pages: Set PKS pkey in
 * PTEs if requested"; mm/memremap.c pagemap_range() -> arch_add_memory() ->
 * init_memory_mapping() with the pgprot), not by splitting RAM's direct map.
 */
describe("memremap_pages(): device memory mapped with its protection", () => {
  it("creates the range's leaves with the key: no CPA split, no flush", () => {
    const machine = smallMachine();
    const first = (1 << 18) + 512 * 10; // 2 MiB aligned inside the second GiB
    machine.memremapPages(0, first, 1024 + 3, { key: 1 });
    expect(machine.ledger.events[Ev.direct_map_splits]).toBe(0);
    expect(machine.ledger.events[Ev.shootdowns]).toBe(0);
    expect(pteKey(machine.directPte(first))).toBe(1);
    expect(pteKey(machine.directPte(first + 1026))).toBe(1);
    expect(pteKey(machine.directPte(first + 1027))).toBe(0);
    expect(machine.directLeafSize(first)).toBe(SIZE_2M); // aligned: 2M leaves
    expect(machine.directLeafSize(first + 1024)).toBe(SIZE_4K); // the unaligned tail
    // 2 whole 2M leaves + 3 4K leaves written.
    expect(machine.ledger.events[Ev.pte_writes]).toBe(2 + 3);
    machine.enablePks(0x4); // key 1 access-disabled
    expect(machine.access(0, first, READ)).toBe(FAULT_PKEY);
    expect(machine.access(0, first + 1027, READ)).toBe(OK);
  });

  it("refuses a key outside 0..15 and a range outside memory, as the CPA path does", () => {
    const machine = smallMachine();
    const first = (1 << 18) + 512 * 10;
    for (const key of [16, -1, 1.5]) {
      expect(() => machine.memremapPages(0, first, 8, { key })).toThrow(RangeError);
      expect(() => machine.changeDirectMap(0, first, 8, { key })).toThrow(RangeError);
    }
    expect(() => machine.memremapPages(0, machine.pages - 4, 8, { key: 1 })).toThrow(RangeError);
    // Nothing was written by the refused calls.
    expect(machine.ledger.events[Ev.pte_writes]).toBe(0);
    expect(pteKey(machine.directPte(first))).toBe(0);
  });

  it("pmem-dax: the PKS designs key the namespace at memremap time, with no split and no setup shootdown", () => {
    const workload = BUILTIN_WORKLOADS["pmem-dax"];
    const given = { requests: 5, stray_every: 0 };
    for (const name of ["pks-kmap", "kmap-local-range", "vmap-alias", "no-direct-map"] as const) {
      const m = simulate(BUILTIN_STRATEGIES[name], workload, given).metrics;
      expect(m["events.direct_map_splits"], name).toBe(0);
      expect(m["setup.direct_map_splits"], name).toBe(0);
      expect(m["setup.shootdowns"], name).toBe(0);
      expect(m["setup.cycles"], name).toBeLessThan(1000);
    }
  });
});
