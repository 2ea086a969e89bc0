import { describe, expect, it } from "vitest";
import type { StrategyModule } from "../../strategies/api.ts";
import noDirectMap from "../../strategies/no-direct-map.ts";
import unprotected from "../../strategies/unprotected.ts";
import type { Operation } from "../../workloads/api.ts";
import { runScript } from "../helpers/sim.ts";

/** One thread: map a page locally, ask to move to CPU 1, unmap, ask again. */
const migrateWhileMapped: Operation[] = [
  { kind: "map", handle: 0, page: 0, count: 1, intent: "write", scope: "local" },
  { kind: "migrate", cpu: 1 },
  { kind: "unmap", handle: 0 },
  { kind: "complete" },
  { kind: "migrate", cpu: 1 },
  { kind: "complete" },
];

const run = (strategy: StrategyModule) =>
  runScript([migrateWhileMapped], { strategy, machine: { cpus: 2 }, region: { pages: 4 } }).metrics;

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
