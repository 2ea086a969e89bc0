import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadProfile } from "../../core/profile.ts";
import {
  AUTO_PARALLEL_REPLAYED_CALLS,
  autoReplayJobs,
  renderReplay,
  runReplay,
  statsRows,
} from "../../reports/analyses/replay/replay.ts";
import { BUILTIN_STRATEGIES } from "../../strategies/registry.ts";
import { parseTraceText } from "../../workloads/trace/parse.ts";

const fixture = (name: string) => join(import.meta.dirname, "..", "fixtures", "traces", name);
const profile = loadProfile();

/** The trace replayed under pks-kmap, per call and per search, invariants checked: both cells ok. */
async function underPksKmap(trace: Parameters<typeof runReplay>[0]) {
  const result = await runReplay(trace, {
    strategies: [BUILTIN_STRATEGIES["pks-kmap"]],
    mappings: ["per-call", "per-search"],
    profile,
    checkInvariants: true,
  });
  for (const cell of result.cells) expect(cell.status, cell.mapping).toBe("ok");
  return result.cells;
}

describe("replay of the hand-made excerpt, statistics computed by hand", () => {
  const trace = parseTraceText(readFileSync(fixture("hand-made.txt"), "utf8"), "hand-made");
  const { stats } = trace;

  it("counts calls per accessor", () => {
    // cpu0: read, get_32, get_token_64, write, memmove (+ its nested memcpy, not counted);
    // cpu1: set_8, copy_full, memzero. The bad read and the truncated get_16 are dropped.
    expect(stats.calls).toBe(8);
    expect(stats.callsByAccessor).toEqual({
      btrfs_get_32: 1,
      btrfs_get_token_64: 1,
      btrfs_set_8: 1,
      copy_extent_buffer_full: 1,
      memmove_extent_buffer: 1,
      memzero_extent_buffer: 1,
      read_extent_buffer: 1,
      write_extent_buffer: 1,
    });
    expect(stats.markers).toEqual({
      btrfs_search_slot: 2,
      btrfs_commit_transaction: 1,
      "marker: pkslab: phase begin": 1,
    });
  });

  it("splits the calls by workload phase", () => {
    expect(stats.phases).toEqual([
      {
        name: "begin",
        calls: 8,
        searches: 2,
        crossing: 4,
        firstTimestamp: 1,
        lastTimestamp: 1.0007,
      },
    ]);
  });

  it("gives the access-length distribution", () => {
    // Lengths 17, 4, 8, 100, 50 | 1, 16384, 200.
    // Buckets 1, 2, 3-4, 5-8, 9-16, 17-32, 33-64, 65-128, 129-256, 257-1024, 1025-4096,
    // 4097-16384, >16384.
    expect(stats.lengthHistogram).toEqual([1, 0, 1, 1, 0, 1, 1, 1, 1, 0, 0, 1, 0]);
    expect(stats.meanLength).toBe((17 + 4 + 8 + 100 + 50 + 1 + 16384 + 200) / 8);
  });

  it("finds the calls that cross a 4 KiB boundary", () => {
    // get_32 at 4090+4 (4094..4097), get_token_64 at 8000+190 (8190..8197), copy_full
    // (0..16383) and memzero at 4000 (4000..4199) cross; read at 101, write at 5000,
    // memmove 300 -> 200 and set_8 at 125 do not.
    expect(stats.crossingCalls).toBe(4);
    expect(stats.crossingFraction).toBe(0.5);
  });

  it("counts calls per search, outside searches, and distinct buffers", () => {
    // Search 1: read, get_32, get_token_64 (3); search 2: write, memmove (2). cpu1 never
    // searches: its 3 calls are outside (before and after a commit).
    expect(stats.searches).toBe(2);
    expect(stats.callsPerSearch).toEqual({ sessions: 2, mean: 2.5, p50: 3, p90: 3, max: 3 });
    expect(stats.callsOutsideSearches).toBe(3);
    expect(stats.sessionsSplitByTaskSwitch).toBe(0);
    expect(stats.distinctBuffers).toBe(3);
    expect(stats.distinctStarts).toBe(3);
    expect(stats.pagesPerBuffer).toBe(4);
  });

  it("replays under pks-kmap with the PKRS writes counted by hand", async () => {
    const [perCall, perSearch] = await underPksKmap(trace);
    expect(perCall.metrics["run.operations"]).toBe(8);
    expect(perSearch.metrics["run.operations"]).toBe(8);
    // per-call: every call lifts PKS once (nested maps share the per-task count) and
    // restores it once: 8 × 2.
    expect(perCall.metrics["events.pkrs_writes"]).toBe(16);
    // per-search: one lift and one restore per session: cpu0's two searches, cpu1's
    // session before the commit and the one after it: 4 × 2.
    expect(perSearch.metrics["events.pkrs_writes"]).toBe(8);
    expect(perSearch.metrics["per_op.events.pkrs_writes"]).toBe(1);
  });

  it("runs every strategy under both mappings and renders every format, the same on two threads", async () => {
    const result = await runReplay(trace, {
      strategies: Object.values(BUILTIN_STRATEGIES),
      mappings: ["per-call", "per-search"],
      profile,
      checkInvariants: true,
    });
    expect(result.cells).toHaveLength(2 * Object.keys(BUILTIN_STRATEGIES).length);
    for (const cell of result.cells) {
      expect(cell.status, `${cell.mapping}/${cell.strategy}: ${cell.reason}`).toBe("ok");
      expect(cell.metrics["compat.unsupported_maps"]).toBe(0);
      expect(cell.metrics["compat.false_faults"]).toBe(0);
    }
    const table = renderReplay(result, "table");
    expect(table).toContain("calls crossing a 4 KiB boundary");
    expect(table).toContain("4 (50.00%)");
    expect(table).toContain("mapping per-search");
    expect(renderReplay(result, "markdown")).toContain("| strategy |");
    const json = JSON.parse(renderReplay(result, "json"));
    expect(json.stats.calls).toBe(8);
    expect(json.cells).toHaveLength(result.cells.length);
    const threaded = await runReplay(trace, {
      strategies: Object.values(BUILTIN_STRATEGIES),
      mappings: ["per-call", "per-search"],
      profile,
      checkInvariants: true,
      jobs: 2,
    });
    expect(renderReplay(threaded, "json")).toBe(renderReplay(result, "json"));
  });
});

describe("replay of a captured excerpt", () => {
  const trace = parseTraceText(readFileSync(fixture("capture-excerpt.txt"), "utf8"), "excerpt");

  it("is a clean excerpt of the project's own capture", () => {
    expect(trace.stats.badLines).toBe(0);
    expect(trace.stats.calls).toBeGreaterThan(1000);
    expect(trace.stats.searches).toBeGreaterThan(10);
    expect(trace.cpus.length).toBe(2);
  });

  it("per-search needs no more PKRS writes than per-call under pks-kmap", async () => {
    const [perCall, perSearch] = await underPksKmap(trace);
    expect(perSearch.metrics["run.operations"]).toBe(perCall.metrics["run.operations"]);
    expect(perSearch.metrics["events.pkrs_writes"]).toBeLessThanOrEqual(
      perCall.metrics["events.pkrs_writes"],
    );
    expect(perCall.metrics["events.pkrs_writes"]).toBe(2 * trace.stats.calls);
  });
});

describe("per-search buffer budget", () => {
  // One search touching five buffers in turn, twice.
  const line = (i: number, b: number) =>
    `t-5 [000] ..... 1.${String(i).padStart(4, "0")}: btrfs_get_64: (btrfs_get_64+0x0/0x100 [btrfs]) eb=0x${b} start=${b * 16384} ptr=${i % 2 === 1 ? 4090 : 16000} off=0`;
  const text = [
    "t-5 [000] ..... 1.0000: btrfs_search_slot: (btrfs_search_slot+0x0/0xc90 [btrfs]) root=0x1",
    ...Array.from({ length: 10 }, (_, i) => line(i + 1, (i % 5) + 1)),
    "",
  ].join("\n");
  const trace = parseTraceText(text);
  const run = async (held: number) =>
    (
      await runReplay(trace, {
        strategies: [BUILTIN_STRATEGIES["no-direct-map"], BUILTIN_STRATEGIES["kmap-local-range"]],
        mappings: ["per-search"],
        profile,
        params: { held_buffers: held },
        checkInvariants: true,
      })
    ).cells;

  it("holds three 4-page buffers within the 15 kmap_local slots, replacing LIFO", async () => {
    expect(trace.stats.callsPerSearch.max).toBe(10);
    expect(trace.stats.crossingCalls).toBe(5);
    expect(trace.stats.pagesPerBuffer).toBe(4);
    for (const cell of await run(3)) {
      expect(cell.status, `${cell.strategy}: ${cell.reason}`).toBe("ok");
      expect(cell.metrics["compat.unsupported_maps"]).toBe(0);
      expect(cell.metrics["compat.unsupported_unmaps"]).toBe(0);
    }
  });

  it("runs out of fixmap slots when a one-page API holds four buffers", async () => {
    const [noDirectMap] = await run(4);
    expect(noDirectMap.metrics["compat.unsupported_maps"]).toBeGreaterThan(0);
  });
});

describe("the text report agrees with the JSON and with itself (issue 21)", () => {
  it("shows the bad lines' numbers, and labels the two calls-per-search figures apart", () => {
    const text = readFileSync(
      join(import.meta.dirname, "..", "fixtures", "traces", "hand-made.txt"),
      "utf8",
    );
    const trace = parseTraceText(text, "hand-made");
    const rows = new Map(statsRows(trace.stats));
    expect(rows.get("bad lines")).toMatch(/first at lines 19, 20, 21$/);
    expect(rows.has("calls per search (calls inside search sessions)")).toBe(true);
    expect(rows.has("calls per search")).toBe(false);
  });
});

describe("replay's default --jobs", () => {
  it("uses every core once calls x cells reach the threshold, one thread below it", () => {
    const cells = 10;
    const calls = AUTO_PARALLEL_REPLAYED_CALLS / cells;
    expect(autoReplayJobs(calls, cells, 2)).toBe(2);
    expect(autoReplayJobs(calls - 1, cells, 2)).toBe(1);
    expect(autoReplayJobs(calls * 100, cells, 1)).toBe(1);
    // The fixture traces are far below it: they never pay for a worker.
    const excerpt = parseTraceText(readFileSync(fixture("capture-excerpt.txt"), "utf8"), "excerpt");
    expect(autoReplayJobs(excerpt.stats.calls, cells, 2)).toBe(1);
  });
});
