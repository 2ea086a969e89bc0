import { describe, expect, it } from "vitest";
import { OK, READ, WRITE } from "../../core/machine/index.ts";
import kmapLocalRange from "../../strategies/kmap-local-range.ts";
import pksKmap from "../../strategies/pks-kmap.ts";
import { BUILTIN_STRATEGIES } from "../../strategies/registry.ts";
import vmapAlias from "../../strategies/vmap-alias.ts";
import { BUILTIN_WORKLOADS } from "../../workloads/registry.ts";
import { simulate } from "../helpers/sim.ts";
import { events, moved, setUp } from "./helpers.ts";

/**
 * Read intent on a write-disable region: what each API allows.
 * - Weiny v10 kmap_local_page() (include/linux/highmem-internal.h hook, V10 33/44) has no
 *   intent argument: every map opens read-write (one PKRS write).
 * - A new range API can take the intent and open only for writes.
 * - vmap-alias keeps the direct map read-only (set_memory_ro), so a reader uses
 *   page_address() and no alias is built.
 */
describe("read intent on a write-disable region", () => {
  it("pks-kmap (v10, no intent argument) lifts the key even for a reader", () => {
    const s = setUp(pksKmap, { keyMode: "write-disable" });
    const before = events(s.machine);
    s.unmap(s.t[0], s.map(s.t[0], [0], "read", "local"));
    expect(moved(before, events(s.machine)).pkrs_writes).toBe(2);
  });

  it("kmap-local-range takes the intent: a read range does not lift, a write range does", () => {
    const s = setUp(kmapLocalRange, { keyMode: "write-disable" });
    const before = events(s.machine);
    const read = s.map(s.t[0], [0, 1, 2], "read", "local");
    expect(s.machine.access(0, read.vpns[1], READ)).toBe(OK);
    s.unmap(s.t[0], read);
    expect(moved(before, events(s.machine)).pkrs_writes).toBeUndefined();
    const write = s.map(s.t[0], [0, 1, 2], "write", "local");
    expect(s.machine.access(0, write.vpns[1], WRITE)).toBe(OK);
    s.unmap(s.t[0], write);
    expect(moved(before, events(s.machine)).pkrs_writes).toBe(2);
  });

  it("vmap-alias reads through the read-only direct map and builds an alias only for writes", () => {
    const s = setUp(vmapAlias, { keyMode: "write-disable" });
    const before = events(s.machine);
    const read = s.map(s.t[0], [0, 1], "read", "global");
    expect(s.machine.isVmalloc(read.vpns[0])).toBe(false);
    expect(read.vpns[0]).toBe(s.region.pfns[0]);
    expect(s.machine.access(1, read.vpns[0], READ)).toBe(OK);
    s.unmap(s.t[0], read);
    expect(moved(before, events(s.machine)).pte_writes).toBeUndefined();
    const write = s.map(s.t[0], [0, 1], "write", "global");
    expect(s.machine.isVmalloc(write.vpns[0])).toBe(true);
    // An access-disable region still needs an alias to read.
    const ad = setUp(vmapAlias, { keyMode: "access-disable" });
    expect(ad.machine.isVmalloc(ad.map(ad.t[0], [0], "read", "local").vpns[0])).toBe(true);
  });

  it("btrfs-debug-ro (reads = api): read-only searches cost no PKRS write and no alias in any strategy", () => {
    const workload = BUILTIN_WORKLOADS["btrfs-debug-ro"];
    const given = { searches: 10, write_ratio: 0, stray_every: 0 };
    const baseline = simulate(BUILTIN_STRATEGIES.unprotected, workload, given).metrics;
    for (const name of ["pks-kmap", "kmap-local-range", "vmap-alias"] as const) {
      const m = simulate(BUILTIN_STRATEGIES[name], workload, given).metrics;
      // Only setup's PKRS writes (PKS enabled on each CPU), none per read.
      const setupOnly = simulate(BUILTIN_STRATEGIES[name], workload, { ...given, searches: 1 })
        .metrics["events.pkrs_writes"];
      expect(m["events.pkrs_writes"], name).toBe(setupOnly);
      expect(m["compat.direct_reads"], name).toBe(baseline["compat.direct_reads"]);
      expect(m["compat.broken_direct_reads"], name).toBe(0);
      expect(m["compat.unsupported_maps"], name).toBe(0);
    }
    expect(
      simulate(BUILTIN_STRATEGIES["vmap-alias"], workload, given).metrics["strategy.aliases"],
    ).toBe(0);
    // no-direct-map removed the pages from the direct map: its readers must map (api), and
    // a caller that insists on page_address() breaks.
    const ndm = simulate(BUILTIN_STRATEGIES["no-direct-map"], workload, given).metrics;
    expect(ndm["compat.direct_reads"]).toBe(0);
    expect(ndm["compat.broken_accesses"]).toBe(0);
    const forced = simulate(BUILTIN_STRATEGIES["no-direct-map"], workload, {
      ...given,
      reads: "page-address",
    }).metrics;
    expect(forced["compat.broken_direct_reads"]).toBe(forced["compat.direct_reads"]);
    expect(forced["compat.broken_direct_reads"]).toBeGreaterThan(0);
  });

  it("btrfs-debug-ro (reads = map): pks-kmap pays for readers, kmap-local-range does not", () => {
    const workload = BUILTIN_WORKLOADS["btrfs-debug-ro"];
    const given = { searches: 10, write_ratio: 0, stray_every: 0, reads: "map" };
    const setup = { ...given, searches: 1 };
    const pks = simulate(pksKmap, workload, given).metrics["events.pkrs_writes"];
    const pksSetup = simulate(pksKmap, workload, setup).metrics["events.pkrs_writes"];
    const range = simulate(kmapLocalRange, workload, given).metrics["events.pkrs_writes"];
    const rangeSetup = simulate(kmapLocalRange, workload, setup).metrics["events.pkrs_writes"];
    expect(pks).toBeGreaterThan(pksSetup);
    expect(range).toBe(rangeSetup);
  });
});

/**
 * Page-table pages are read without any map call by the software walkers (fault path,
 * zap/change_pte_range, GUP-fast: mm/gup.c lockless_pages_from_mm() -> gup_pte_range(),
 * pte_offset_map() = pte_offset_kernel() on x86-64, a direct-map address).
 */
describe("page-table reads with no map call (pagetable-protect)", () => {
  const workload = BUILTIN_WORKLOADS["pagetable-protect"];
  const given = { ops: 20, stray_every: 0 };

  it("break under no-direct-map and are counted; a WD key or read-only direct map serves them", () => {
    const ndm = simulate(BUILTIN_STRATEGIES["no-direct-map"], workload, given).metrics;
    expect(ndm["compat.direct_reads"]).toBeGreaterThan(0);
    expect(ndm["compat.broken_direct_reads"]).toBe(ndm["compat.direct_reads"]);
    expect(ndm["compat.broken_accesses"]).toBeGreaterThanOrEqual(ndm["compat.broken_direct_reads"]);
    for (const name of ["pks-kmap", "vmap-alias", "unprotected"] as const) {
      const m = simulate(BUILTIN_STRATEGIES[name], workload, given).metrics;
      expect(m["compat.direct_reads"], name).toBe(ndm["compat.direct_reads"]);
      expect(m["compat.broken_direct_reads"], name).toBe(0);
    }
  });

  it("table_reads = false removes them", () => {
    const m = simulate(BUILTIN_STRATEGIES["no-direct-map"], workload, {
      ...given,
      table_reads: false,
    }).metrics;
    expect(m["compat.direct_reads"]).toBe(0);
    expect(m["compat.broken_accesses"]).toBe(0);
  });
});
