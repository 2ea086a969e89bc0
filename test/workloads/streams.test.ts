import { describe, expect, it } from "vitest";
import type { Operation } from "../../workloads/api.ts";
import {
  EB_BYTES,
  EB_PAGES,
  HEADER_BYTES,
  KEY_BYTES,
  KEY_PTR_BYTES,
} from "../../workloads/btrfs/search.ts";
import {
  BUILTIN_WORKLOAD_NAMES,
  BUILTIN_WORKLOADS,
  resolveWorkloadParams,
} from "../../workloads/registry.ts";
import { nonEmptyEvery } from "../helpers/lists.ts";
import { allStreams, countKinds, SIZE_PARAM, stream, streamProblem } from "./helpers.ts";

const crosses = (op: Operation) =>
  op.kind === "access" &&
  Math.floor(op.offset / 4096) !== Math.floor((op.offset + op.length - 1) / 4096);

describe.each(BUILTIN_WORKLOAD_NAMES)("workload %s", (name) => {
  const workload = BUILTIN_WORKLOADS[name];
  const [sizeParam, small] = SIZE_PARAM[name];
  const params = resolveWorkloadParams(workload, { [sizeParam]: small });

  it("generates the same stream for the same seed and a different one for another seed", () => {
    for (const thread of [0, 1, 5]) {
      const a = stream(workload, params, 42, thread);
      expect(stream(workload, params, 42, thread)).toEqual(a);
      expect(a.length).toBeGreaterThan(0);
    }
    const one = JSON.stringify(allStreams(workload, params, 42));
    const other = JSON.stringify(allStreams(workload, params, 43));
    expect(other).not.toBe(one);
  });

  it("keeps the stream invariants (handles, bounds, LIFO local unmaps, region)", () => {
    for (const seed of [1, 2, 3]) {
      expect(streamProblem(workload, params, allStreams(workload, params, seed))).toBeUndefined();
    }
  });

  it("marks one complete per workload-level operation, scaled by its size parameter", () => {
    const streams = allStreams(workload, params, 7);
    const completes = streams.flat().filter((op) => op.kind === "complete").length;
    const threads = workload.threads(params, 16);
    const perUnit = name === "cross-cpu-handoff" ? threads / 2 : threads;
    expect(completes).toBe(small * perUnit);
  });

  it("declares metadata and parameters with units and descriptions", () => {
    expect(workload.name).toBe(name);
    expect(workload.citation.length).toBeGreaterThan(20);
    for (const spec of Object.values(workload.params)) {
      expect(spec.unit.length).toBeGreaterThan(0);
      expect(spec.description.length).toBeGreaterThan(10);
    }
    expect(workload.params.stray_every).toBeDefined();
    expect(workload.params.stray_mix).toBeDefined();
  });
});

describe("documented shapes", () => {
  it("pmem-dax: one 4 KiB block per request through a local single-page map; writes at write_ratio", () => {
    const workload = BUILTIN_WORKLOADS["pmem-dax"];
    const params = resolveWorkloadParams(workload, { requests: 400 });
    const ops = allStreams(workload, params, 1).flat();
    const maps = ops.filter((op) => op.kind === "map");
    expect(nonEmptyEvery(maps, (op) => op.count === 1 && op.scope === "local")).toBe(true);
    const accesses = ops.filter((op) => op.kind === "access");
    expect(nonEmptyEvery(accesses, (op) => op.offset === 0 && op.length === 4096)).toBe(true);
    const writes = accesses.filter((op) => op.write).length / accesses.length;
    expect(writes).toBeGreaterThan(0.27);
    expect(writes).toBeLessThan(0.33);
    expect(workload.region(params)).toEqual({
      pages: 4096,
      keyMode: "access-disable",
      contiguous: true,
      memory: "device",
    });
  });

  it("pagetable-protect: every PTE write is its own map/write/unmap bracket on a write-disabled pool", () => {
    const workload = BUILTIN_WORKLOADS["pagetable-protect"];
    const params = resolveWorkloadParams(workload, { ops: 200 });
    expect(workload.region(params).keyMode).toBe("write-disable");
    const ops = stream(workload, params, 3, 0);
    let brackets = 0;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      if (op.kind !== "map") continue;
      const access = ops[i + 1];
      const unmap = ops[i + 2];
      expect(op.count).toBe(1);
      expect(op.intent).toBe("write");
      expect(access.kind === "access" && access.write && access.handle === op.handle).toBe(true);
      expect(access.kind === "access" && [8, 4096].includes(access.length)).toBe(true);
      expect(unmap).toEqual({ kind: "unmap", handle: op.handle });
      brackets++;
    }
    // Mean PTEs per op: 0.8 * (0.5 * 1 + 0.5 * 8.5) + 0.2 * 32 ≈ 10.2, plus table zeroing.
    expect(brackets / 200).toBeGreaterThan(7);
    expect(brackets / 200).toBeLessThan(14);
  });

  it("btrfs-metadata per-visit: ~0.5% of helper accesses cross a page boundary, one 4-page map per eb visited", () => {
    const workload = BUILTIN_WORKLOADS["btrfs-metadata"];
    const params = resolveWorkloadParams(workload, { searches: 300, mapping: "per-visit" });
    const ops = allStreams(workload, params, 11).flat();
    const kinds = countKinds(ops);
    const accesses = ops.filter((op) => op.kind === "access");
    const rate = accesses.filter(crosses).length / accesses.length;
    expect(rate).toBeGreaterThan(0.0035);
    expect(rate).toBeLessThan(0.0065);
    const maps = ops.filter((op) => op.kind === "map");
    expect(nonEmptyEvery(maps, (op) => op.count === EB_PAGES && op.page % EB_PAGES === 0)).toBe(
      true,
    );
    expect(kinds.map).toBe(16 * 300 * 3);
    expect(nonEmptyEvery(accesses, (op) => op.offset + op.length <= EB_BYTES)).toBe(true);
    // Key probes are 17 bytes at a slot boundary after the header.
    const probes = accesses.filter((op) => op.length === KEY_BYTES);
    expect(probes.length).toBeGreaterThan(accesses.length / 2);
    expect(
      probes.every(
        (op) =>
          (op.offset - HEADER_BYTES) % 25 === 0 || (op.offset - HEADER_BYTES) % KEY_PTR_BYTES === 0,
      ),
    ).toBe(true);
  });

  it("btrfs-metadata per-helper: no access crosses; a crossing helper becomes one map per page touched", () => {
    const workload = BUILTIN_WORKLOADS["btrfs-metadata"];
    const perRange = resolveWorkloadParams(workload, { searches: 100, mapping: "per-visit" });
    const perPage = resolveWorkloadParams(workload, { searches: 100, mapping: "per-helper" });
    const rangeOps = allStreams(workload, perRange, 5).flat();
    const pageOps = allStreams(workload, perPage, 5).flat();
    expect(pageOps.filter(crosses)).toEqual([]);
    expect(
      nonEmptyEvery(
        pageOps.filter((op) => op.kind === "map"),
        (op) => op.count === 1,
      ),
    ).toBe(true);
    // Same helpers (same seed), split at page boundaries: one extra access per crossing.
    const rangeAccesses = rangeOps.filter((op) => op.kind === "access").length;
    const pageAccesses = pageOps.filter((op) => op.kind === "access").length;
    expect(pageAccesses).toBe(rangeAccesses + rangeOps.filter(crosses).length);
    const pageMaps = pageOps.filter((op) => op.kind === "map").length;
    expect(pageMaps / (16 * 100)).toBeGreaterThan(15);
  });

  it("btrfs-metadata per-search: each eb on the path mapped once at its visit, all held until the search ends, released leaf first", () => {
    const workload = BUILTIN_WORKLOADS["btrfs-metadata"];
    const params = resolveWorkloadParams(workload, { searches: 20, mapping: "per-search" });
    const ops = stream(workload, params, 9, 0);
    let live: number[] = [];
    let maxLive = 0;
    for (const op of ops) {
      if (op.kind === "map") {
        expect(op.count).toBe(EB_PAGES);
        live.push(op.handle);
        maxLive = Math.max(maxLive, live.length);
      } else if (op.kind === "unmap") {
        // btrfs_release_path() releases nodes[0] (the leaf, mapped last) first: LIFO.
        expect(op.handle).toBe(live[live.length - 1]);
        live = live.slice(0, -1);
      } else if (op.kind === "complete") {
        expect(live).toEqual([]);
      }
    }
    expect(maxLive).toBe(3); // levels
    expect(ops.filter((op) => op.kind === "map").length).toBe(20 * 3);
  });

  it("btrfs-metadata defaults to 6.1's scattered eb pages; contiguous = true is the 6.8+ folio layout", () => {
    const workload = BUILTIN_WORKLOADS["btrfs-metadata"];
    expect(workload.region(resolveWorkloadParams(workload)).contiguous).toBe(false);
    expect(workload.region(resolveWorkloadParams(workload, { contiguous: true })).contiguous).toBe(
      true,
    );
  });

  it("btrfs-metadata mapping=api: per-visit for range APIs, per-helper for one-page APIs", () => {
    const workload = BUILTIN_WORKLOADS["btrfs-metadata"];
    const params = resolveWorkloadParams(workload, { searches: 20 });
    expect(params.mapping).toBe("api");
    const rangeApi = stream(workload, params, 3, 0, 16, true).filter((op) => op.kind === "map");
    const pageApi = stream(workload, params, 3, 0, 16, false).filter((op) => op.kind === "map");
    expect(nonEmptyEvery(rangeApi, (op) => op.kind === "map" && op.count === EB_PAGES)).toBe(true);
    expect(nonEmptyEvery(pageApi, (op) => op.kind === "map" && op.count === 1)).toBe(true);
    expect(pageApi.length).toBeGreaterThan(rangeApi.length * 4);
  });

  it("btrfs-debug-ro: write-disabled metadata, write strays only by default", () => {
    const workload = BUILTIN_WORKLOADS["btrfs-debug-ro"];
    const params = resolveWorkloadParams(workload);
    expect(workload.region(params).keyMode).toBe("write-disable");
    expect(String(params.stray_mix).split(",")).not.toContain("stray-read");
    expect(params.stray_every).toBe(10);
    const ops = allStreams(workload, params, 2).flat();
    const writeMaps = ops.filter((op) => op.kind === "map" && op.intent === "write").length;
    // Only modifying searches (write_ratio 0.25) map their leaf for writing.
    expect(writeMaps / (16 * 30)).toBeGreaterThan(0.15);
    expect(writeMaps / (16 * 30)).toBeLessThan(0.35);
  });

  it("pagecache-io: single-page local maps, full pages except at request ends", () => {
    const workload = BUILTIN_WORKLOADS["pagecache-io"];
    const params = resolveWorkloadParams(workload, { requests: 200 });
    const ops = allStreams(workload, params, 4).flat();
    const accesses = ops.filter((op) => op.kind === "access");
    expect(
      nonEmptyEvery(
        ops.filter((op) => op.kind === "map"),
        (op) => op.count === 1,
      ),
    ).toBe(true);
    expect(accesses.filter(crosses)).toEqual([]);
    const full = accesses.filter((op) => op.length === 4096).length / accesses.length;
    expect(full).toBeGreaterThan(0.6);
    expect(full).toBeLessThan(0.95);
    const pagesPerRequest = accesses.length / (16 * 200);
    expect(pagesPerRequest).toBeGreaterThan(3.5);
    expect(pagesPerRequest).toBeLessThan(4.5);
  });

  it("long-term-map: long-term mappings held across sleeps; records straddle pages", () => {
    const workload = BUILTIN_WORKLOADS["long-term-map"];
    const params = resolveWorkloadParams(workload);
    expect(workload.threads(params, 16)).toBe(32);
    const ops = stream(workload, params, 9, 3);
    const open = new Set<number>();
    let sleepsWhileMapped = 0;
    for (const op of ops) {
      if (op.kind === "map") {
        expect(op.scope).toBe("long-term");
        expect(op.count).toBe(8);
        open.add(op.handle);
      } else if (op.kind === "unmap") open.delete(op.handle);
      else if (op.kind === "sleep" && open.size > 0) sleepsWhileMapped++;
    }
    expect(sleepsWhileMapped).toBe(Math.floor(200 / 16));
    expect(ops.filter(crosses).length).toBeGreaterThan(0);
    expect(ops.filter((op) => op.kind === "map")).toHaveLength(2);
  });

  it("cross-cpu-handoff: producers map globally, consumers on the next CPU wait for that handle", () => {
    const workload = BUILTIN_WORKLOADS["cross-cpu-handoff"];
    const params = resolveWorkloadParams(workload);
    expect(workload.threads(params, 16)).toBe(16);
    expect(workload.threads(params, 5)).toBe(4);
    const producer = stream(workload, params, 1, 2);
    const consumer = stream(workload, params, 1, 3);
    const produced = producer.filter((op) => op.kind === "map");
    expect(nonEmptyEvery(produced, (op) => op.scope === "global" && op.intent === "write")).toBe(
      true,
    );
    const handles = produced.map((op) => op.handle);
    const waited = consumer.filter((op) => op.kind === "wait-for").map((op) => op.handle);
    // Item k is taken once item k+1 is mapped (after k's fill); the last one directly.
    expect(waited).toEqual([...handles.slice(1), handles[handles.length - 1]]);
    expect(consumer.filter((op) => op.kind === "unmap").map((op) => op.handle)).toEqual(handles);
    expect(producer.some((op) => op.kind === "complete")).toBe(false);
  });

  it("preempt-migrate: yields and migrations happen while local mappings are held", () => {
    const workload = BUILTIN_WORKLOADS["preempt-migrate"];
    const params = resolveWorkloadParams(workload, { sections: 200 });
    const ops = stream(workload, params, 8, 1);
    let held = 0;
    let yieldsHeld = 0;
    let migratesHeld = 0;
    for (const op of ops) {
      if (op.kind === "map") held++;
      else if (op.kind === "unmap") held--;
      else if (op.kind === "yield") {
        expect(held).toBeGreaterThan(0);
        yieldsHeld++;
      } else if (op.kind === "migrate") {
        expect(held).toBeGreaterThan(0);
        migratesHeld++;
      }
    }
    expect(yieldsHeld / 200).toBeGreaterThan(0.7);
    expect(migratesHeld / yieldsHeld).toBeGreaterThan(0.15);
    expect(migratesHeld / yieldsHeld).toBeLessThan(0.45);
  });

  it("xpfo-churn: pages leave and rejoin one at a time (eager) or per batch (batched); kernel maps only user-owned pages", () => {
    const workload = BUILTIN_WORKLOADS["xpfo-churn"];
    for (const flush of ["eager", "batched"]) {
      const params = resolveWorkloadParams(workload, { flush, allocations: 93 });
      const ops = stream(workload, params, 6, 2);
      const owned = new Set<number>();
      for (const op of ops) {
        if (op.kind === "protect-pages") {
          expect(op.count).toBe(flush === "eager" ? 1 : 31);
          for (let p = op.page; p < op.page + op.count; p++) owned.add(p);
        } else if (op.kind === "release-pages") {
          for (let p = op.page; p < op.page + op.count; p++) owned.delete(p);
        } else if (op.kind === "map") {
          expect(owned.has(op.page)).toBe(true);
        }
      }
      expect(owned.size).toBe(0);
      const kinds = countKinds(ops);
      expect(kinds["protect-pages"]).toBe(flush === "eager" ? 93 : 3);
      expect(kinds.complete).toBe(93);
    }
  });

  it("vmap-churn: Piggin's loop of map 4 pages, touch each, unmap, on the long-term path", () => {
    const workload = BUILTIN_WORKLOADS["vmap-churn"];
    const params = resolveWorkloadParams(workload);
    const ops = stream(workload, params, 3, 0);
    expect(ops.slice(0, 7).map((op) => op.kind)).toEqual([
      "map",
      "access",
      "access",
      "access",
      "access",
      "unmap",
      "complete",
    ]);
    const maps = ops.filter((op) => op.kind === "map");
    expect(nonEmptyEvery(maps, (op) => op.count === 4 && op.scope === "long-term")).toBe(true);
    const varied = resolveWorkloadParams(workload, { fixed_size: false, touch: "first" });
    const variedOps = stream(workload, varied, 3, 0);
    const sizes = new Set(variedOps.flatMap((op) => (op.kind === "map" ? [op.count] : [])));
    expect([...sizes].sort()).toEqual([1, 2, 3, 4]);
    expect(
      nonEmptyEvery(
        variedOps.filter((op) => op.kind === "access"),
        (op) => op.length === 1,
      ),
    ).toBe(true);
  });
});
