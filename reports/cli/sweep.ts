/**
 * `pkslab sweep`: the comparison repeated while one or two parameters take lists of values
 * (a workload parameter, a strategy option or cost, a cost-profile parameter, or the CPU
 * count); with two, every combination runs (the first parameter is the outer loop). Each
 * point is an ordinary result document (saved with --save-dir, one JSON file per point, so
 * any point can be re-rendered or diffed); the report shows the chosen metrics per
 * workload, point and strategy.
 */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../core/atomic-write.ts";
import type { CellResult } from "../../core/compare.ts";
import { UserInputError, unknownChoiceError } from "../../core/errors.ts";
import { METRIC_CATALOG, metricSpec } from "../../core/metrics.ts";
import type { CostProfile } from "../../core/profile.ts";
import type { StrategyModule } from "../../strategies/api.ts";
import { modelHash } from "../provenance.ts";
import { PRIMARY_METRIC, SHOWN_METRICS } from "../render/common.ts";
import { renderSweep, SWEEP_FORMATS, type SweepPoint, sweepProvenance } from "../render/sweep.ts";
import { buildResults, type ResolvedConfig, SWEEP_JSON_VERSION } from "../results.ts";
import { allCells, probeMsPerSeedRun, runCells } from "../run/cells.ts";
import {
  type CompareFlags,
  mergeCompareOptions,
  parseAssignment,
  splitList,
} from "../run/config.ts";
import { checkRunFits, estimateLine, LONG_RUN_SEED_RUNS } from "../run/estimate.ts";
import { gitCommit, type ResolvedComparison, resolveComparison, runContext } from "../run/plan.ts";
import { autoJobs } from "../run/pool.ts";
import { startProgress } from "../run/progress.ts";
import { emit, outputFormat, reportFailedCells } from "./compare.ts";

/** Flags of `pkslab sweep`: the compare flags plus the swept parameters. */
export interface SweepFlags extends CompareFlags {
  /** `--param` (or its alias `--vary`), once or twice: TARGET.PARAM=VALUES, or cpus=VALUES. */
  readonly vary?: readonly string[];
  readonly param?: readonly string[];
  /** Comma list of metric names. */
  readonly metric?: string;
  readonly saveDir?: string;
  /** `k/n`: run only slice k of n and write it as a shard file (see `pkslab merge`). */
  readonly shard?: string;
}

/** Most values of one swept parameter. */
const MAX_POINTS = 200;
/** Most points of a sweep (the product of both parameters' value counts). */
const MAX_GRID_POINTS = 400;
/** Most swept parameters. */
const MAX_PARAMETERS = 2;

/**
 * Parses the values of `--vary target.param=VALUES`: a comma list (`1,2,4`), a geometric
 * range `from..to:xF` (`1..64:x2`) or an arithmetic range `from..to:+S` (`0..100:+25`).
 */
export function parseSweepValues(text: string): string[] {
  const range = /^(-?[\d.]+)\.\.(-?[\d.]+):([x+])([\d.]+)$/.exec(text.trim());
  if (!range) {
    const values = text
      .split(",")
      .map((v) => v.trim())
      .filter((v) => v !== "");
    if (values.length === 0) throw new UserInputError(`--vary: no values in "${text}".`);
    return values;
  }
  const [, fromText, toText, kind, stepText] = range;
  const from = Number(fromText);
  const to = Number(toText);
  const step = Number(stepText);
  const bad = (why: string) =>
    new UserInputError(`--vary range "${text}": ${why} (e.g. 1..64:x2 or 0..100:+25).`);
  if (![from, to, step].every(Number.isFinite)) throw bad("not numbers");
  if (to < from) throw bad("the end is below the start");
  if (kind === "x" && (step <= 1 || from <= 0))
    throw bad("a geometric range needs start > 0 and factor > 1");
  if (kind === "+" && step <= 0) throw bad("the step must be positive");
  const values: number[] = [];
  for (let v = from; v <= to * (1 + 1e-12); v = kind === "x" ? v * step : v + step) {
    values.push(Number(v.toPrecision(12)));
    if (values.length > MAX_POINTS) throw bad(`more than ${MAX_POINTS} points`);
  }
  return values.map(String);
}

/** Version of the shard file format written by `sweep --shard` and read by `pkslab merge`. */
export const SHARD_FORMAT = 3;

/** One swept parameter and its values, in the order given. */
export interface SweepAxis {
  /** `cpus`, or TARGET.PARAM as for `--set`. */
  readonly parameter: string;
  readonly values: readonly string[];
}

/** What a point of the sweep needs to become a result document, without re-resolving it. */
export interface ShardPoint {
  /** The point's value of each swept parameter, in parameter order. */
  readonly values: readonly string[];
  readonly config: ResolvedConfig;
  readonly profile: CostProfile;
  /** Name and declared costs (after overrides) of each strategy: all a result needs of it. */
  readonly strategies: readonly Pick<StrategyModule, "name" | "costs">[];
  readonly reproduce: string;
}

/** A slice of a sweep: every point's configuration, and the cells of this slice. */
export interface ShardFile {
  readonly pkslabSweepShard: typeof SHARD_FORMAT;
  readonly toolVersion: string;
  readonly gitCommit?: string;
  /** The model's hash (reports/provenance.ts): shards of different models do not merge. */
  readonly modelHash: string;
  /** Identifies the sweep: shards merge only with shards of the same one. */
  readonly sweepId: string;
  readonly parameters: readonly string[];
  readonly metrics: readonly string[];
  readonly shard: { readonly index: number; readonly count: number };
  readonly points: readonly ShardPoint[];
  /** Number of cells in the whole sweep (all shards). */
  readonly totalCells: number;
  /** This slice's cells, by their index in the whole sweep (point, workload, strategy order). */
  readonly cells: readonly { readonly task: number; readonly cell: CellResult }[];
}

/** Parses `--shard k/n` (1 <= k <= n). */
export function parseShard(text: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = match ? Number(match[1]) : Number.NaN;
  const count = match ? Number(match[2]) : Number.NaN;
  if (!match || index < 1 || count < 1 || index > count || count > 100_000) {
    throw new UserInputError(
      `--shard "${text}" must be k/n with 1 <= k <= n (e.g. 3/8: the third of eight slices).`,
    );
  }
  return { index, count };
}

/** A resolved point as the shard file keeps it. */
function shardPoint(values: readonly string[], comparison: ResolvedComparison): ShardPoint {
  return {
    values,
    config: comparison.config,
    profile: comparison.profile,
    strategies: comparison.strategies.map((s) => ({ name: s.module.name, costs: s.module.costs })),
    reproduce: comparison.reproduce,
  };
}

/** The identity of a sweep: its parameters, metrics and every point's resolved configuration. */
function sweepIdOf(
  toolVersion: string,
  model: string,
  parameters: readonly string[],
  metrics: readonly string[],
  points: readonly ShardPoint[],
): string {
  return createHash("sha256")
    .update(JSON.stringify({ toolVersion, model, parameters, metrics, points }))
    .digest("hex")
    .slice(0, 16);
}

/** Result documents of the points, from their configurations and cells (point by point). */
export function sweepDocuments(
  toolVersion: string,
  commit: string | undefined,
  points: readonly ShardPoint[],
  cells: readonly CellResult[][],
  model: string = modelHash(),
  dated = true,
): SweepPoint[] {
  return points.map((point, index) => ({
    values: point.values,
    doc: buildResults(
      {
        toolVersion,
        config: point.config,
        profile: point.profile,
        // buildResults reads only the name and the declared costs of each strategy.
        strategies: point.strategies as readonly StrategyModule[],
        reproduce: point.reproduce,
        gitCommit: commit,
        modelHash: model,
        run: runContext(dated),
      },
      cells[index],
    ),
  }));
}

/** The file name (without directory) of a point's result in --save-dir. */
export function pointFileName(parameters: readonly string[], values: readonly string[]): string {
  const name = parameters.map((parameter, index) => `${parameter}=${values[index]}`).join("_");
  return `${name.replace(/[^A-Za-z0-9._=-]/g, "_")}.json`;
}

/**
 * Writes a sweep's outputs: the report in `format` (json: one document holding every
 * point's result; png: every chart as a file in the --out directory) to --out or stdout,
 * and each point's result JSON in --save-dir.
 */
export async function writeSweepOutputs(
  parameters: readonly string[],
  metrics: readonly string[],
  points: readonly SweepPoint[],
  format: string,
  out: string | undefined,
  saveDir: string | undefined,
): Promise<void> {
  if (format === "png" && out === undefined) {
    throw new UserInputError("sweep --format png writes one file per chart: give --out <dir>.");
  }
  const report =
    format === "json"
      ? `${JSON.stringify(
          {
            sweepVersion: SWEEP_JSON_VERSION,
            context: sweepProvenance({ parameters, metrics, points }, "json"),
            parameters,
            metrics,
            points,
          },
          null,
          2,
        )}\n`
      : format === "png"
        ? undefined
        : await renderSweep({
            parameters,
            metrics,
            points,
            format: format as (typeof SWEEP_FORMATS)[number],
          });
  if (saveDir !== undefined) {
    try {
      mkdirSync(saveDir, { recursive: true });
      for (const point of points) {
        writeFileAtomic(
          join(saveDir, pointFileName(parameters, point.values)),
          `${JSON.stringify(point.doc, null, 2)}\n`,
        );
      }
    } catch (error) {
      throw new UserInputError(
        `cannot save the sweep points in ${saveDir}: ${(error as Error).message}`,
      );
    }
  }
  if (report === undefined) {
    const { writeSweepPngCharts } = await import("../render/png.ts");
    const written = await writeSweepPngCharts({ parameters, metrics, points }, out as string);
    process.stderr.write(
      `pkslab: wrote ${written.length} chart${written.length === 1 ? "" : "s"} to ${out}\n`,
    );
    return;
  }
  emit(report, out);
}

/** Checks a sweep report format: the sweep formats, json (every point's document) or png. */
export function checkSweepFormat(format: string): void {
  if (
    format !== "json" &&
    format !== "png" &&
    !(SWEEP_FORMATS as readonly string[]).includes(format)
  ) {
    throw new UserInputError(
      `sweep --format must be one of ${[...SWEEP_FORMATS, "json", "png"].join(", ")}; for other formats save the points with --save-dir and use compare --from.`,
    );
  }
}

/**
 * Parses the `--param`/`--vary` flags (one or two) into axes: TARGET.PARAM=VALUES or
 * cpus=VALUES (`machine.cpus` is accepted for cpus).
 */
export function parseSweepAxes(flags: readonly string[]): SweepAxis[] {
  if (flags.length === 0) {
    throw new UserInputError(
      "sweep needs --param TARGET.PARAM=VALUES (e.g. --param cpus=1,2,4,8 or --param pmem-dax.pages=64,256,1024; give it twice for a two-parameter grid).",
    );
  }
  if (flags.length > MAX_PARAMETERS) {
    throw new UserInputError(
      `sweep takes at most ${MAX_PARAMETERS} --param flags (a grid of two parameters), got ${flags.length}.`,
    );
  }
  const axes: SweepAxis[] = [];
  for (const flag of flags) {
    const equals = flag.indexOf("=");
    if (equals < 0) {
      throw new UserInputError(
        `--param "${flag}" must look like TARGET.PARAM=VALUES (e.g. cpus=1,2,4,8 or pmem-dax.pages=64,256,1024).`,
      );
    }
    const name = flag.slice(0, equals).trim();
    const parameter = name === "machine.cpus" ? "cpus" : name;
    // The machine's CPU count is not a --set target: it is swept through the cpus option.
    if (parameter !== "cpus") parseAssignment(`${parameter}=0`);
    if (axes.some((axis) => axis.parameter === parameter)) {
      throw new UserInputError(`--param: ${parameter} is swept twice; give each parameter once.`);
    }
    const values = parseSweepValues(flag.slice(equals + 1));
    if (new Set(values).size !== values.length) {
      throw new UserInputError(`--param ${parameter}: a value is listed twice in "${flag}".`);
    }
    if (parameter === "cpus") {
      const bad = values.find((value) => !Number.isInteger(Number(value)) || Number(value) < 1);
      if (bad !== undefined) {
        throw new UserInputError(
          `--param cpus: "${bad}" is not a whole number of CPUs of at least 1.`,
        );
      }
    }
    axes.push({ parameter, values });
  }
  const points = axes.reduce((product, axis) => product * axis.values.length, 1);
  if (points > MAX_GRID_POINTS) {
    throw new UserInputError(
      `the sweep has ${points} points (${axes.map((a) => `${a.values.length} values of ${a.parameter}`).join(" x ")}); at most ${MAX_GRID_POINTS}: use fewer values or split it into several sweeps.`,
    );
  }
  return axes;
}

/** Every point of the grid, the first axis outermost. */
export function gridPoints(axes: readonly SweepAxis[]): string[][] {
  let points: string[][] = [[]];
  for (const axis of axes) {
    points = points.flatMap((point) => axis.values.map((value) => [...point, value]));
  }
  return points;
}

/**
 * Parses `--metric` (a comma list), checking each name against the metric catalog. `main`
 * stands for the metrics of the comparison report's columns (cycles/op, PKRS writes,
 * shootdowns, TLB misses, blocked, caught, false faults, exposure).
 */
export function parseSweepMetrics(text: string | undefined): string[] {
  const metrics = splitList(text ?? PRIMARY_METRIC).flatMap((name) =>
    name === "main" ? SHOWN_METRICS.map((shown) => shown.metric) : [name],
  );
  if (metrics.length === 0) throw new UserInputError("--metric: no metric names given.");
  for (const metric of metrics) {
    if (!metricSpec(metric)) {
      throw unknownChoiceError("metric (--metric)", metric, [...METRIC_CATALOG.keys()]);
    }
  }
  return [...new Set(metrics)];
}

/** Runs the sweep and writes the report (and the per-point result files), or one shard. */
export async function sweepAction(flags: SweepFlags, toolVersion: string): Promise<void> {
  const shard = flags.shard !== undefined ? parseShard(flags.shard) : undefined;
  const format = shard
    ? (flags.format ?? "json")
    : outputFormat(flags.format, flags.out, flags.forceFormat);
  if (shard) {
    if (flags.format !== undefined || flags.saveDir !== undefined) {
      throw new UserInputError(
        "sweep --shard writes a shard file (JSON) for `pkslab merge`; give the report format and --save-dir to merge instead.",
      );
    }
  } else {
    checkSweepFormat(format);
  }
  const axes = parseSweepAxes([...(flags.param ?? []), ...(flags.vary ?? [])]);
  const parameters = axes.map((axis) => axis.parameter);
  if (parameters.includes("cpus") && flags.cpus !== undefined) {
    throw new UserInputError("cpus is swept (--param cpus=...) and set (--cpus); drop one.");
  }
  const metrics = parseSweepMetrics(flags.metric);
  const base = mergeCompareOptions(flags);
  for (const parameter of parameters) {
    if (base.assignments.some((a) => `${a.target}.${a.param}` === parameter)) {
      throw new UserInputError(`${parameter} is both swept (--param) and set (--set); drop one.`);
    }
  }
  const grid = gridPoints(axes);
  // Resolve every point first, so a bad value fails before anything runs.
  const comparisons: ResolvedComparison[] = [];
  for (const values of grid) {
    let options = base;
    values.forEach((value, index) => {
      const parameter = parameters[index];
      options =
        parameter === "cpus"
          ? { ...options, cpus: Number(value) }
          : {
              ...options,
              assignments: [...options.assignments, parseAssignment(`${parameter}=${value}`)],
            };
    });
    comparisons.push(await resolveComparison(options));
  }
  const points = comparisons.map((comparison, index) => shardPoint(grid[index], comparison));
  // Shard k of n takes the cells whose index is k - 1 modulo n: slices are deterministic,
  // disjoint, cover the sweep and get a similar mix of cells.
  const all = allCells(comparisons);
  const selected = shard
    ? all
        .map((task, index) => ({ task, index }))
        .filter((t) => t.index % shard.count === shard.index - 1)
    : all.map((task, index) => ({ task, index }));
  // Each point fits on its own (resolveComparison checked it); the sweep holds them all.
  checkRunFits({
    cells: selected.length,
    seeds: base.seeds,
    what: `--seeds ${base.seeds} over ${comparisons.length} points`,
  });
  const seedRuns = selected.length * base.seeds;
  if (seedRuns >= LONG_RUN_SEED_RUNS) {
    const refs = selected.map((s) => s.task);
    process.stderr.write(
      estimateLine(
        { cells: selected.length, seedRuns },
        probeMsPerSeedRun(comparisons, refs),
        base.jobs ?? autoJobs(seedRuns),
      ),
    );
  }
  const bar = await startProgress("sweeping", "cells", selected.length);
  let cells: CellResult[];
  try {
    cells = await runCells(
      comparisons,
      selected.map((s) => s.task),
      base.jobs,
      (done) => bar.update(done),
      base.cellTimeout,
      base.cellMemory,
    );
  } finally {
    bar.stop();
  }
  const commit = gitCommit();
  if (shard) {
    const file: ShardFile = {
      pkslabSweepShard: SHARD_FORMAT,
      toolVersion,
      ...(commit ? { gitCommit: commit } : {}),
      modelHash: modelHash(),
      sweepId: sweepIdOf(toolVersion, modelHash(), parameters, metrics, points),
      parameters,
      metrics,
      shard,
      points,
      totalCells: all.length,
      cells: selected.map((s, i) => ({ task: s.index, cell: cells[i] })),
    };
    emit(`${JSON.stringify(file)}\n`, flags.out);
    if (flags.out !== undefined) {
      process.stderr.write(
        `pkslab: wrote ${flags.out} (shard ${shard.index}/${shard.count}: ${selected.length} of ${all.length} cells)\n`,
      );
    }
    return;
  }
  const byPoint: CellResult[][] = comparisons.map(() => []);
  for (const [index, task] of all.entries()) byPoint[task.point].push(cells[index]);
  byPoint.forEach((pointCells, point) => {
    const at = parameters.map((parameter, i) => `${parameter}=${grid[point][i]}`).join(" ");
    reportFailedCells(pointCells, ` at ${at}`);
  });
  await writeSweepOutputs(
    parameters,
    metrics,
    sweepDocuments(toolVersion, commit, points, byPoint, modelHash(), flags.date !== false),
    format,
    flags.out,
    flags.saveDir,
  );
}

/** Checks that shard files come from one sweep and cover it once; returns the merged sweep. */
export function combineShards(files: readonly ShardFile[]): {
  parameters: readonly string[];
  metrics: readonly string[];
  toolVersion: string;
  gitCommit?: string;
  modelHash: string;
  points: readonly ShardPoint[];
  cells: CellResult[][];
} {
  if (files.length === 0) throw new UserInputError("merge: no shard files given.");
  const first = files[0];
  const count = first.shard.count;
  const seen = new Set<number>();
  for (const file of files) {
    if (file.modelHash !== first.modelHash) {
      throw new UserInputError(
        `merge: shard ${file.shard.index}/${file.shard.count} was run by another model (model hash ${file.modelHash}, not ${first.modelHash}): run every shard from the same pkslab source.`,
      );
    }
    if (file.sweepId !== first.sweepId) {
      throw new UserInputError(
        `merge: shard ${file.shard.index}/${file.shard.count} is from another sweep (${file.sweepId}, not ${first.sweepId}): same command, values and pkslab version are needed.`,
      );
    }
    if (file.shard.count !== count) {
      throw new UserInputError(
        `merge: shards of ${count} and of ${file.shard.count} slices cannot be combined.`,
      );
    }
    if (seen.has(file.shard.index)) {
      throw new UserInputError(`merge: shard ${file.shard.index}/${count} is given twice.`);
    }
    seen.add(file.shard.index);
  }
  const missing = [];
  for (let index = 1; index <= count; index++)
    if (!seen.has(index)) missing.push(`${index}/${count}`);
  if (missing.length > 0) throw new UserInputError(`merge: shard ${missing.join(", ")} missing.`);
  const byTask: (CellResult | undefined)[] = new Array(first.totalCells).fill(undefined);
  for (const file of files) for (const { task, cell } of file.cells) byTask[task] = cell;
  if (byTask.some((cell) => cell === undefined)) {
    throw new UserInputError("merge: the shards do not hold every cell of the sweep.");
  }
  const cells: CellResult[][] = first.points.map(() => []);
  let task = 0;
  first.points.forEach((point, index) => {
    const perPoint = point.config.workloads.length * point.config.strategies.length;
    for (let i = 0; i < perPoint; i++) cells[index].push(byTask[task++] as CellResult);
  });
  return {
    parameters: first.parameters,
    metrics: first.metrics,
    toolVersion: first.toolVersion,
    ...(first.gitCommit ? { gitCommit: first.gitCommit } : {}),
    modelHash: first.modelHash,
    points: first.points,
    cells,
  };
}
