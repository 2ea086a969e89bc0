/**
 * Coverage-model scenarios whose answer follows from the mechanism (issue 4), run with the
 * built-in strategies on the built-in workloads.
 */
import { describe, expect, it } from "vitest";
import { BUILTIN_STRATEGIES } from "../../strategies/registry.ts";
import { STRAY_CLASSES } from "../../workloads/api.ts";
import { BUILTIN_WORKLOADS } from "../../workloads/registry.ts";
import { nonEmptyEvery } from "../helpers/lists.ts";
import { simulate } from "../helpers/sim.ts";

const { unprotected } = BUILTIN_STRATEGIES;
const pksKmap = BUILTIN_STRATEGIES["pks-kmap"];
const vmapAlias = BUILTIN_STRATEGIES["vmap-alias"];
const noDirectMap = BUILTIN_STRATEGIES["no-direct-map"];
const pmemDax = BUILTIN_WORKLOADS["pmem-dax"];
const handoff = BUILTIN_WORKLOADS["cross-cpu-handoff"];

describe("coverage scenarios", () => {
  it("pks-kmap blocks every wild-direct write made while no mapping is open, and lets window-same-cpu writes through", () => {
    // strict: a stray fault oopses; relaxed would warn and grant (Weiny v10's default).
    const result = simulate(
      pksKmap,
      pmemDax,
      { requests: 300, stray_every: 2, stray_mix: "wild-direct,window-same-cpu" },
      { strategyOptions: { "fault-mode": "strict" }, recordStrays: 100_000 },
    );
    const strays = result.strays ?? [];
    const wildClosed = strays.filter((s) => s.cls === "wild-direct" && !s.windowOpen);
    const wildOpen = strays.filter((s) => s.cls === "wild-direct" && s.windowOpen);
    const window = strays.filter((s) => s.cls === "window-same-cpu");
    expect(wildClosed.length).toBeGreaterThan(100);
    expect(nonEmptyEvery(wildClosed, (s) => s.outcome === "blocked")).toBe(true);
    // The key is lifted for the whole CPU, not only for the mapped page.
    expect(window.length).toBeGreaterThan(100);
    expect(nonEmptyEvery(window, (s) => s.outcome === "corrupted")).toBe(true);
    expect(wildOpen.length).toBeGreaterThan(0);
    expect(nonEmptyEvery(wildOpen, (s) => s.outcome === "corrupted")).toBe(true);
    expect(result.metrics["coverage.window-same-cpu.blocked"]).toBe(0);
  });

  it("vmap-alias with lazy flush lets a cross-cpu-stale write through before the purge and blocks it after", () => {
    // Two CPUs: lazy_max_pages = fls(2) * 8192 = 16384. A handoff is a short-lived global
    // mapping, so it takes vm_map_ram(): one page of a 1024-page per-CPU vmap block, which
    // goes to the lazy list when wholly dirty; a purge comes every 16 blocks (~16384 items).
    const result = simulate(
      vmapAlias,
      handoff,
      {
        items: 36_000,
        // A slow producer: the consumer keeps up, so an item is unmapped soon after the
        // producer's CPU cached its alias (a fast producer runs ahead and its TLB evicts).
        produce_cycles: 5000,
        consume_cycles: 100,
        touches: 0,
        stray_every: 1,
        stray_mix: "cross-cpu-stale",
      },
      { machine: { cpus: 2 }, strategyOptions: { flush: "lazy" }, recordStrays: 1_000_000 },
    );
    expect(result.metrics["events.vmap_purges"]).toBeGreaterThanOrEqual(2);
    const strays = (result.strays ?? []).filter((s) => s.cls === "cross-cpu-stale");
    const before = strays.filter((s) => s.purgesSinceUnmap === 0);
    const after = strays.filter((s) => (s.purgesSinceUnmap ?? 0) > 0);
    expect(before.filter((s) => s.outcome === "corrupted").length).toBeGreaterThan(
      before.length / 2,
    );
    // Lazily freed space is not reused before the purge: what lands went through a stale
    // TLB entry of the old alias.
    expect(
      nonEmptyEvery(
        before.filter((s) => s.outcome === "corrupted"),
        (s) => s.throughStaleEntry,
      ),
    ).toBe(true);
    expect(after.length).toBeGreaterThan(10);
    expect(after.filter((s) => s.outcome === "corrupted")).toEqual([]);
    expect(after.filter((s) => s.outcome === "blocked").length).toBeGreaterThan(0);
  });

  it("vmap-alias with eager flush leaves no stale alias: no cross-cpu-stale write lands through a stale TLB entry", () => {
    const result = simulate(
      vmapAlias,
      handoff,
      { items: 200, stray_every: 2, stray_mix: "cross-cpu-stale" },
      { strategyOptions: { flush: "eager" }, recordStrays: 100_000 },
    );
    expect(result.metrics["coverage.cross-cpu-stale.injected"]).toBeGreaterThan(50);
    const strays = (result.strays ?? []).filter((s) => s.cls === "cross-cpu-stale");
    expect(strays.filter((s) => s.throughStaleEntry)).toEqual([]);
    // A write that still lands went through a live mapping: the freed address was reused
    // (eagerly flushed space is free at once) for a new alias of the same protected page.
    const landed = strays.filter((s) => s.outcome === "corrupted");
    expect(landed.length).toBeLessThan(strays.length / 10);
  });

  it("unprotected blocks nothing", () => {
    for (const workload of [pmemDax, handoff, BUILTIN_WORKLOADS["btrfs-metadata"]]) {
      const result = simulate(unprotected, workload, { stray_every: 3 });
      let injected = 0;
      for (const cls of STRAY_CLASSES) {
        injected += result.metrics[`coverage.${cls}.injected`];
        expect(result.metrics[`coverage.${cls}.blocked`]).toBe(0);
      }
      expect(injected).toBeGreaterThan(50);
      expect(result.metrics["coverage.blocked_ratio"]).toBe(0);
      expect(result.metrics["coverage.caught"]).toBe(0);
    }
  });

  it("no-direct-map blocks wild-direct reads and writes", () => {
    const result = simulate(noDirectMap, pmemDax, {
      requests: 200,
      stray_every: 2,
      stray_mix: "wild-direct,stray-read",
    });
    const m = result.metrics;
    expect(m["coverage.wild-direct.injected"]).toBeGreaterThan(100);
    expect(m["coverage.stray-read.injected"]).toBeGreaterThan(100);
    expect(m["coverage.wild-direct.blocked"]).toBe(m["coverage.wild-direct.injected"]);
    expect(m["coverage.stray-read.blocked"]).toBe(m["coverage.stray-read.injected"]);
  });

  it("pks-kmap on cross-cpu-handoff produces false faults (kmap() does not lift the key)", () => {
    const relaxed = simulate(pksKmap, handoff, { items: 100, stray_every: 0 });
    expect(relaxed.metrics["compat.false_faults"]).toBeGreaterThan(0);
    // Relaxed mode grants the faulting thread read-write, so each consumer faults about once.
    expect(relaxed.metrics["compat.false_faults_granted"]).toBe(
      relaxed.metrics["compat.false_faults"],
    );
    const strict = simulate(
      pksKmap,
      handoff,
      { items: 100, stray_every: 0 },
      { strategyOptions: { "fault-mode": "strict" } },
    );
    // Strict: every producer fill and consumer access through a kmap() address oopses.
    expect(strict.metrics["compat.false_faults_oops"]).toBeGreaterThanOrEqual(2 * 2 * 100);
    expect(strict.metrics["compat.broken_accesses"]).toBe(strict.metrics["compat.false_faults"]);
    // The same strategy on a local-only workload has none.
    const local = simulate(pksKmap, pmemDax, { requests: 50, stray_every: 0 });
    expect(local.metrics["compat.false_faults"]).toBe(0);
  });

  it("btrfs-debug-ro attributes every caught modification to a CPU, a stray class and an operation", () => {
    const workload = BUILTIN_WORKLOADS["btrfs-debug-ro"];
    const result = simulate(
      pksKmap,
      workload,
      // Enough strays that several CPUs catch some: one every other injection point.
      { searches: 20, stray_every: 2 },
      { strategyOptions: { "fault-mode": "strict" } },
    );
    const catches = result.catches ?? [];
    const caught = result.metrics["coverage.caught"];
    expect(caught).toBeGreaterThan(20);
    expect(catches.reduce((sum, entry) => sum + entry.count, 0)).toBe(caught);
    const kinds = new Set(["map", "access", "direct-read", "unmap", "compute", "complete", "idle"]);
    for (const entry of catches) {
      expect(entry.cpu).toBeGreaterThanOrEqual(0);
      expect(entry.cpu).toBeLessThan(4);
      expect(entry.stray).not.toBe("stray-read");
      expect(kinds.has(entry.during)).toBe(true);
    }
    expect(new Set(catches.map((entry) => entry.cpu)).size).toBeGreaterThan(1);
    expect(result.metrics["coverage.stray-read.injected"]).toBe(0);
  });

  it("honours stray_every and stray_mix", () => {
    const off = simulate(unprotected, pmemDax, { requests: 50, stray_every: 0 });
    const injectedOff = STRAY_CLASSES.reduce(
      (sum, cls) => sum + off.metrics[`coverage.${cls}.injected`],
      0,
    );
    expect(injectedOff).toBe(0);
    const reads = simulate(unprotected, pmemDax, {
      requests: 100,
      stray_every: 5,
      stray_mix: "stray-read",
    });
    for (const cls of STRAY_CLASSES) {
      const injected = reads.metrics[`coverage.${cls}.injected`];
      if (cls === "stray-read") expect(injected).toBeGreaterThan(100);
      else expect(injected).toBe(0);
    }
  });

  it("xpfo-churn aims strays only at pages currently given to user space", () => {
    const result = simulate(
      noDirectMap,
      BUILTIN_WORKLOADS["xpfo-churn"],
      { allocations: 100, stray_every: 2, stray_mix: "wild-direct,stray-read" },
      { recordStrays: 10_000 },
    );
    const m = result.metrics;
    expect(m["coverage.wild-direct.injected"]).toBeGreaterThan(50);
    // Only user-owned pages are targets, and those are out of the direct map.
    expect(m["coverage.wild-direct.blocked"]).toBe(m["coverage.wild-direct.injected"]);
    expect(m["coverage.stray-read.blocked"]).toBe(m["coverage.stray-read.injected"]);
  });
});

describe("WARN_ONCE reporting vs every caught fault (Weiny v10 memremap.pks_fault_mode)", () => {
  it("relaxed mode: catches are granted and reported once; strict mode: every catch oopses", () => {
    const workload = BUILTIN_WORKLOADS["btrfs-debug-ro"];
    const given = { searches: 20, stray_mix: "wild-direct" };
    const relaxed = simulate(pksKmap, workload, given).metrics;
    const strict = simulate(pksKmap, workload, given, {
      strategyOptions: { "fault-mode": "strict" },
    }).metrics;
    expect(relaxed["coverage.caught"]).toBeGreaterThan(1);
    expect(relaxed["coverage.caught_granted"]).toBe(relaxed["coverage.caught"]);
    expect(relaxed["coverage.caught_oops"]).toBe(0);
    expect(relaxed["strategy.warn_once"]).toBe(1);
    expect(strict["coverage.caught_oops"]).toBe(strict["coverage.caught"]);
    expect(strict["coverage.caught_granted"]).toBe(0);
  });
});
