/**
 * `pkslab sweep`: the comparison repeated while one or two parameters take lists of values
 * (a workload parameter, a strategy option or cost, a cost-profile parameter, or the CPU
 * count); with two, every combination runs (the first parameter is the outer loop). Each
 * point is an ordinary result document (saved with --save-dir, one JSON file per point, so
 * any point can be re-rendered or diffed); the report shows the chosen metrics per
 * workload, point and strategy.
 */

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../core/atomic-write.ts";
import type { CellResult } from "../../core/compare.ts";
import { UserInputError } from "../../core/errors.ts";
import type { StrategyModule } from "../../strategies/api.ts";
import { renderSweep } from "../render/sweep.ts";
import { type SWEEP_FORMATS, type SweepPoint, sweepProvenance } from "../render/sweep-common.ts";
import { modelHash } from "../results/provenance.ts";
import { buildResults, SWEEP_JSON_VERSION } from "../results/results.ts";
import { allCells, probeMsPerSeedRun, runCells } from "../run/cells.ts";
import { type CompareFlags, mergeCompareOptions, parseAssignment } from "../run/config.ts";
import { checkRunFits, estimateLine, LONG_RUN_SEED_RUNS } from "../run/estimate.ts";
import { gitCommit, type ResolvedComparison, resolveComparison, runContext } from "../run/plan.ts";
import { autoJobs } from "../run/pool.ts";
import { startProgress } from "../run/progress.ts";
import { emit, outputFormat, reportFailedCells } from "./output.ts";
import {
  parseShard,
  SHARD_FORMAT,
  type ShardFile,
  type ShardPoint,
  shardPoint,
  sweepIdOf,
} from "./shards.ts";
import { checkSweepFormat, gridPoints, parseSweepAxes, parseSweepMetrics } from "./sweep-grid.ts";

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
