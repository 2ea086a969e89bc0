import { describe, expect, it } from "vitest";
import { runSimulation } from "../../core/engine/index.ts";
import { DEFAULT_MACHINE } from "../../core/machine/index.ts";
import { loadProfile } from "../../core/profile.ts";
import noDirectMap from "../../strategies/no-direct-map.ts";
import unprotected from "../../strategies/unprotected.ts";
import { defineWorkload, type Operation } from "../../workloads/api.ts";

/** One thread: map a page locally, ask to move to CPU 1, unmap, ask again. */
const migrateWhileMapped = defineWorkload({
  name: "migrate-while-mapped",
  version: "1.0.0",
  summary: "test",
  citation: "test",
  params: {},
  region: () => ({ pages: 4, keyMode: "access-disable", contiguous: true }),
  threads: () => 1,
  *generate(): Generator<Operation> {
    yield { kind: "map", handle: 0, page: 0, count: 1, intent: "write", scope: "local" };
    yield { kind: "migrate", cpu: 1 };
    yield { kind: "unmap", handle: 0 };
    yield { kind: "complete" };
    yield { kind: "migrate", cpu: 1 };
    yield { kind: "complete" };
  },
});

const run = (strategy: typeof unprotected) =>
  runSimulation({
    machine: { ...DEFAULT_MACHINE, cpus: 2, memoryGiB: 4 },
    profile: loadProfile(),
    strategy,
    strategyOptions: {},
    workload: migrateWhileMapped,
    workloadParams: { stray_every: 0 },
    seed: 1,
  }).metrics;

describe("migration of a task with migration disabled (kernel/sched/core.c)", () => {
  it("is simply not done: no context switch is charged for the refused request", () => {
    // no-direct-map's local map is a kmap_local fixmap slot: migrate_disable() until unmap.
    const pinned = run(noDirectMap);
    expect(pinned["events.migrations_deferred"]).toBe(1);
    expect(pinned["events.migrations"]).toBe(1); // the second request, after the unmap
    const free = run(unprotected);
    expect(free["events.migrations_deferred"]).toBe(0);
    // The first request moves it; the second finds it on CPU 1 already.
    expect(free["events.migrations"]).toBe(1);
    // Both runs make one real migration; the refused request adds no switch away and back.
    expect(pinned["events.context_switches"]).toBe(free["events.context_switches"]);
  });
});
