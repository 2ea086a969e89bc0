/**
 * Replay of a parsed trace through every strategy, under each mapping granularity
 * (workloads/trace/replay.ts), and the report: per mapping × strategy the usual metrics,
 * plus the trace's own statistics (workloads/trace/).
 */
import { createHash } from "node:crypto";
import { availableParallelism } from "node:os";
import type { CostProfile } from "../../../core/profile.ts";
import type { StrategyModule } from "../../../strategies/api.ts";
import { builtinStrategiesByName } from "../../../strategies/registry.ts";
import type { WorkloadModule } from "../../../workloads/api.ts";
import { LENGTH_BUCKETS, type TraceData, type TraceStats } from "../../../workloads/trace/data.ts";
import {
  type ReplayMapping,
  traceThreads,
  traceWorkload,
} from "../../../workloads/trace/replay.ts";
import { formatNumber } from "../../render/common.ts";
import {
  analysisProvenance,
  canonicalJson,
  type Provenance,
  renderContext,
  reproduceCommand,
} from "../../results/provenance.ts";
import { runTasks, type SharedTask } from "../../run/pool.ts";
import { taskModule } from "../../run/tasks.ts";
import {
  REPLAY_METRICS,
  type ReplayCell,
  type ReplayCellInput,
  replayCell,
} from "./replay-cell.ts";

export { REPLAY_METRICS, type ReplayCell } from "./replay-cell.ts";

/** The worker-side module of a replay cell (replay-cell.ts). */
const REPLAY_CELL = taskModule(import.meta.url, "replay-cell");

export const REPLAY_FORMATS = ["table", "markdown", "json"] as const;
export type ReplayFormat = (typeof REPLAY_FORMATS)[number];

export interface ReplayOptions {
  readonly strategies: readonly StrategyModule[];
  readonly mappings: readonly ReplayMapping[];
  readonly profile: CostProfile;
  /** Online CPUs; default: the trace's CPU count. */
  readonly cpus?: number;
  readonly seed?: number;
  /** Workload parameters other than `mapping` (held_buffers, call_cycles, stray_every...). */
  readonly params?: Readonly<Record<string, unknown>>;
  readonly checkInvariants?: boolean;
  /**
   * Threads that run the cells (`--jobs`); when absent, every core once the replay is long
   * enough to pay for a worker (AUTO_PARALLEL_REPLAYED_CALLS), else 1. Strategies that are
   * not built-ins always run in this thread.
   */
  readonly jobs?: number;
}

/**
 * Accessor calls replayed (the trace's calls x cells) from which `--jobs` defaults to every
 * core. A worker's start-up and cold compile cost a few hundred milliseconds; measured on
 * this project's 2-core machine, the bench's 400,000-line trace (379,118 calls, 10 cells)
 * ran its cells in 3.4 s on one thread and 2.2 s on two, while a fixture trace (a few
 * thousand calls) replays in tens of milliseconds, less than a worker takes to start.
 */
export const AUTO_PARALLEL_REPLAYED_CALLS = 1_000_000;

/** Threads for a replay of `calls` accessor calls in `cells` cells when `--jobs` is not given. */
export function autoReplayJobs(
  calls: number,
  cells: number,
  cores = availableParallelism(),
): number {
  return calls * cells >= AUTO_PARALLEL_REPLAYED_CALLS ? Math.max(1, cores) : 1;
}

export interface ReplayResult {
  readonly trace: string;
  /** The cost profile's name and the sha256 (12 hex digits) of its parameters as run. */
  readonly profile: string;
  readonly profileHash: string;
  readonly checkInvariants: boolean;
  readonly stats: TraceStats;
  readonly cpus: number;
  readonly seed: number;
  readonly params: Readonly<Record<string, unknown>>;
  readonly cells: readonly ReplayCell[];
}

/**
 * Runs every strategy under every mapping on the trace (mapping-major, fixed order), on the
 * runner (reports/run): each cell on its own, so the result does not depend on `jobs`.
 */
export async function runReplay(trace: TraceData, options: ReplayOptions): Promise<ReplayResult> {
  const cpus = options.cpus ?? Math.max(1, traceThreads(trace));
  const seed = options.seed ?? 1;
  const builtins = builtinStrategiesByName();
  // Worker threads rebuild strategies by name: only built-ins can go there.
  const shareable = options.strategies.every((s) => builtins[s.name] === s);
  let workload: WorkloadModule | undefined;
  const tasks: SharedTask<ReplayCell>[] = [];
  for (const mapping of options.mappings) {
    for (const strategy of options.strategies) {
      const input: ReplayCellInput = {
        trace,
        mapping,
        strategy: strategy.name,
        cpus,
        seed,
        params: { ...options.params },
        profile: options.profile,
        checkInvariants: options.checkInvariants === true,
      };
      tasks.push({
        task: { kind: "module", module: REPLAY_CELL, input },
        here: () => {
          workload ??= traceWorkload(trace);
          return replayCell(input, strategy, workload);
        },
      });
    }
  }
  const jobs = options.jobs ?? autoReplayJobs(trace.stats.calls, tasks.length);
  const cells = await runTasks(tasks, { jobs: shareable ? jobs : 1 });
  return {
    trace: trace.source,
    profile: options.profile.name,
    profileHash: createHash("sha256")
      .update(canonicalJson(options.profile.parameters))
      .digest("hex")
      .slice(0, 12),
    checkInvariants: options.checkInvariants === true,
    stats: trace.stats,
    cpus,
    seed,
    params: { ...options.params },
    cells,
  };
}

function bucketLabel(index: number): string {
  const upper = LENGTH_BUCKETS[index];
  if (index >= LENGTH_BUCKETS.length) return `>${LENGTH_BUCKETS[LENGTH_BUCKETS.length - 1]}`;
  const lower = index === 0 ? 1 : LENGTH_BUCKETS[index - 1] + 1;
  return lower === upper ? String(upper) : `${lower}-${upper}`;
}

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

/** `n` as a share of `total` (0 when there is no total). */
const share = (n: number, total: number) => percent(total === 0 ? 0 : n / total);

/** Table rows of a label, its count of calls and their share of all the trace's calls. */
function callShareRows(
  stats: TraceStats,
  counts: readonly (readonly [string, number])[],
): string[][] {
  return counts.map(([label, n]) => [label, String(n), share(n, stats.calls)]);
}

/** The trace statistics as [label, value] rows. */
export function statsRows(stats: TraceStats): [string, string][] {
  const rows: [string, string][] = [
    ["lines", String(stats.lines)],
    ["events", String(stats.events)],
    [
      "bad lines",
      stats.badLines === 0
        ? "0"
        : `${stats.badLines} (${Object.entries(stats.badReasons)
            .map(([reason, n]) => `${reason}: ${n}`)
            .join(
              "; ",
            )}); first at line${stats.badExamples.length === 1 ? "" : "s"} ${stats.badExamples.map((bad) => bad.line).join(", ")}`,
    ],
    [
      "lost events",
      `${stats.lostEvents}${stats.entriesWritten !== undefined ? ` (entries in buffer/written ${stats.entriesInBuffer}/${stats.entriesWritten}, ${stats.lostMarkers} LOST markers)` : ` (${stats.lostMarkers} LOST markers)`}`,
    ],
    ["accessor calls", String(stats.calls)],
    ["nested memmove->memcpy (counted once)", String(stats.nestedCalls)],
    ["searches", String(stats.searches)],
    [
      "calls per search (calls inside search sessions)",
      `mean ${stats.callsPerSearch.mean.toFixed(1)}, p50 ${stats.callsPerSearch.p50}, p90 ${stats.callsPerSearch.p90}, max ${stats.callsPerSearch.max}`,
    ],
    ["calls outside searches", String(stats.callsOutsideSearches)],
    ["search sessions split by task switch", String(stats.sessionsSplitByTaskSwitch)],
    [
      "calls crossing a 4 KiB boundary",
      `${stats.crossingCalls} (${percent(stats.crossingFraction)})`,
    ],
    ["mean access length", `${stats.meanLength.toFixed(1)} bytes`],
    [
      "distinct buffers",
      `${stats.distinctBuffers} instances, ${stats.distinctStarts} logical addresses, ${stats.pagesPerBuffer} pages each`,
    ],
    [
      "calls per CPU",
      Object.entries(stats.callsByCpu)
        .map(([cpu, n]) => `cpu${cpu} ${n}`)
        .join(", "),
    ],
  ];
  if (stats.outOfOrder > 0) rows.push(["out-of-order events (sorted)", String(stats.outOfOrder)]);
  return rows;
}

function textTable(
  header: readonly string[],
  rows: readonly string[][],
  markdown: boolean,
): string {
  if (markdown) {
    const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
    return [
      line(header),
      line(header.map((_, i) => (i === 0 ? "---" : "---:"))),
      ...rows.map(line),
    ].join("\n");
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const pad = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [pad(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(pad)].join("\n");
}

function metricCell(cell: ReplayCell, metric: string, perOp: boolean): string {
  if (cell.status === "failed") return "failed";
  const value = perOp ? cell.metrics[`per_op.${metric}`] : cell.metrics[metric];
  return formatNumber(value);
}

/** The --profile argument of the run, when it was not the profile's own name (a file). */
export interface ReplayInvocation {
  readonly profile?: string;
}

/** The command line that reruns a replay in `format`. */
export function replayReproduce(
  result: ReplayResult,
  format: ReplayFormat,
  invocation: ReplayInvocation = {},
): string {
  const words = ["npx", "pkslab", "replay", result.trace];
  words.push("--mapping", [...new Set(result.cells.map((c) => c.mapping))].join(","));
  words.push("--strategies", [...new Set(result.cells.map((c) => c.strategy))].join(","));
  words.push("--cpus", String(result.cpus), "--seed", String(result.seed));
  for (const [name, value] of Object.entries(result.params))
    words.push("--set", `${name}=${value}`);
  words.push("--profile", invocation.profile ?? result.profile);
  if (result.checkInvariants) words.push("--check");
  return reproduceCommand(words, format);
}

/** The provenance of a replay (context block and reproduce line). */
export function replayProvenance(
  result: ReplayResult,
  format: ReplayFormat,
  invocation: ReplayInvocation = {},
): Provenance {
  return analysisProvenance({
    config: {
      trace: result.trace,
      stats: result.stats,
      mappings: [...new Set(result.cells.map((c) => c.mapping))],
      strategies: [...new Set(result.cells.map((c) => c.strategy))],
      cpus: result.cpus,
      seed: result.seed,
      params: result.params,
      profile: result.profile,
      profileHash: result.profileHash,
      checkInvariants: result.checkInvariants,
    },
    costProfile: result.profile,
    reproduce: replayReproduce(result, format, invocation),
  });
}

/**
 * Renders a replay result as a terminal table, GitHub markdown or JSON, with its context
 * block (version, commit, hashes, profile, disclaimer, reproduce line).
 */
export function renderReplay(
  result: ReplayResult,
  format: ReplayFormat,
  context: Provenance = replayProvenance(result, format),
): string {
  // elapsedMs is wall time: left out so that the output is a function of the inputs.
  const cells = result.cells.map(({ elapsedMs: _elapsed, ...cell }) => cell);
  if (format === "json") return `${JSON.stringify({ context, ...result, cells }, null, 2)}\n`;
  const markdown = format === "markdown";
  const { stats } = result;
  const out: string[] = [];
  out.push(
    markdown
      ? `## Replay of ${result.trace}`
      : `pkslab replay ${result.trace}  cpus ${result.cpus}  seed ${result.seed}`,
  );
  out.push(...renderContext(context, markdown ? "markdown" : "text"), "");
  out.push("Driven by a real trace's accessor calls.", "");
  /** A statistics section: a markdown heading (the text format: a plain lower-case line), its table. */
  const section = (heading: string, header: readonly string[], rows: readonly string[][]) => {
    out.push(markdown ? `### ${heading}` : heading.toLowerCase());
    out.push(textTable(header, rows, markdown), "");
  };
  section("Trace statistics", ["statistic", "value"], statsRows(stats));
  section(
    "Calls per accessor",
    ["accessor", "calls", "share"],
    callShareRows(stats, Object.entries(stats.callsByAccessor)),
  );
  if (stats.phases.length > 0) {
    section(
      "Workload phases",
      ["phase", "calls", "searches", "all calls/search", "crossing", "trace s"],
      stats.phases.map((phase, i) => {
        const next = stats.phases[i + 1];
        const end = next ? next.firstTimestamp : phase.lastTimestamp;
        return [
          phase.name,
          String(phase.calls),
          String(phase.searches),
          phase.searches === 0 ? "-" : (phase.calls / phase.searches).toFixed(1),
          share(phase.crossing, phase.calls),
          (end - phase.firstTimestamp).toFixed(2),
        ];
      }),
    );
  }
  section(
    "Access length (bytes)",
    ["length", "calls", "share"],
    callShareRows(
      stats,
      stats.lengthHistogram.map((n, i) => [bucketLabel(i), n] as const),
    ).filter((row) => row[1] !== "0"),
  );
  for (const mapping of [...new Set(result.cells.map((c) => c.mapping))]) {
    out.push(markdown ? `### mapping ${mapping}` : `mapping ${mapping}`);
    const cells = result.cells.filter((c) => c.mapping === mapping);
    out.push(
      textTable(
        ["strategy", ...REPLAY_METRICS.map((m) => m.label)],
        cells.map((cell) => [
          cell.strategy,
          ...REPLAY_METRICS.map((m) => metricCell(cell, m.metric, "perOp" in m && m.perOp)),
        ]),
        markdown,
      ),
    );
    for (const cell of cells) {
      if (cell.reason) out.push(`${markdown ? "- " : "  "}${cell.strategy}: ${cell.reason}`);
    }
    out.push("");
  }
  return `${out.join("\n")}\n`;
}
