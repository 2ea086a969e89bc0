/**
 * `pkslab compare`: resolve the configuration, run every (workload, strategy) cell over the
 * seeds, build the result document and render it; or, with `--from`, re-render a saved
 * result document in any format without running anything.
 */

import type { CellResult } from "../../core/compare.ts";
import { DEFAULT_STRAY_EVERY } from "../../core/contract/stray.ts";
import { UserInputError, unknownChoiceError } from "../../core/errors.ts";
import { METRIC_CATALOG, metricSpec } from "../../core/metrics.ts";

import { censusBlock, readCensusJson } from "../analyses/census/load.ts";
import { cacheLine } from "../analyses/claims/run-cache.ts";
import { renderSensitivity, sensitivityCached } from "../analyses/claims/sensitivity.ts";
import { buildResults, loadResults } from "../results/results.ts";
import { allCells, probeMsPerSeedRun, runCells } from "../run/cells.ts";
import { type CompareFlags, mergeCompareOptions, splitList } from "../run/config.ts";
import { estimateLine, LONG_RUN_SEED_RUNS } from "../run/estimate.ts";
import { gitCommit, resolveComparison, runContext } from "../run/plan.ts";
import { autoJobs } from "../run/pool.ts";
import { startProgress } from "../run/progress.ts";
import {
  checkOutputPath,
  checkPngDirectory,
  chooseFormat,
  emit,
  emitPng,
  renderDocument,
  reportFailedCells,
} from "./output.ts";

/** Flags that shape a run and so make no sense with --from. */
const RUN_FLAGS = [
  "strategies",
  "workloads",
  "plugin",
  "cpus",
  "seeds",
  "seed",
  "strayEvery",
  "profile",
  "set",
  "baseline",
  "config",
  "jobs",
  "check",
  "operationBudget",
  "sensitivity",
] as const;

const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** Runs (or re-renders) a comparison and writes the report. */
export async function compareAction(flags: CompareFlags, toolVersion: string): Promise<void> {
  if (flags.from !== undefined) {
    const given = RUN_FLAGS.filter((key) => flags[key] !== undefined);
    if (given.length > 0) {
      throw new UserInputError(
        `--from re-renders a saved result and cannot take ${given.map(flagName).join(", ")}; drop them, or run without --from.`,
      );
    }
    const png = flags.format === "png";
    if (!png) chooseFormat(flags.format, flags.out, flags.forceFormat);
    if (png) checkPngDirectory(flags.out);
    else checkOutputPath(flags.out);
    const saved = loadResults(flags.from);
    const doc =
      flags.census !== undefined
        ? { ...saved, census: censusBlock(readCensusJson(flags.census)) }
        : saved;
    if (png) {
      await emitPng(doc, flags.out);
      return;
    }
    const format = chooseFormat(flags.format, flags.out, flags.forceFormat);
    emit(await renderDocument(doc, format, splitList(flags.metrics), flags.style), flags.out);
    return;
  }
  const options = mergeCompareOptions(flags);
  const png = options.format === "png";
  const format = png ? "table" : chooseFormat(options.format, options.out, flags.forceFormat);
  if (flags.style !== undefined && format !== "email") {
    throw new UserInputError("--style applies to --format email only.");
  }
  // Check --metrics before running anything (the document's catalog checks it again).
  for (const name of options.metrics) {
    if (!metricSpec(name)) throw unknownChoiceError("metric", name, [...METRIC_CATALOG.keys()]);
  }
  if (png) checkPngDirectory(options.out);
  else checkOutputPath(options.out);
  const census = flags.census !== undefined ? censusBlock(readCensusJson(flags.census)) : undefined;
  const comparison = await resolveComparison(options);
  const total = comparison.workloads.length * comparison.strategies.length;
  const refs = allCells([comparison]);
  const seedRuns = total * comparison.config.seeds.length;
  if (seedRuns >= LONG_RUN_SEED_RUNS) {
    const jobs = options.jobs ?? autoJobs(seedRuns);
    process.stderr.write(
      estimateLine({ cells: total, seedRuns }, probeMsPerSeedRun([comparison], refs), jobs),
    );
  }
  const bar = await startProgress("comparing", "cells", total);
  let cells: CellResult[];
  try {
    cells = await runCells(
      [comparison],
      refs,
      options.jobs,
      (done) => bar.update(done),
      options.cellTimeout,
      options.cellMemory,
    );
  } finally {
    bar.stop();
  }
  const doc = buildResults(
    {
      toolVersion,
      config: comparison.config,
      profile: comparison.profile,
      strategies: comparison.strategies.map((s) => s.module),
      reproduce:
        comparison.reproduce + (flags.census !== undefined ? ` --census ${flags.census}` : ""),
      gitCommit: gitCommit(),
      run: runContext(flags.date !== false),
      ...(census ? { census } : {}),
    },
    cells,
  );
  if (png) await emitPng(doc, options.out);
  else emit(await renderDocument(doc, format, options.metrics, flags.style), options.out);
  if (flags.sensitivity) {
    const report = await sensitivityCached(
      {
        strategies: comparison.strategies,
        workloads: comparison.workloads,
        seeds: comparison.config.seeds,
        machine: comparison.machine,
        profile: comparison.profile,
        strayEvery: DEFAULT_STRAY_EVERY,
        checkInvariants: comparison.checkInvariants,
        operationBudget: comparison.operationBudget,
      },
      {
        baseline: comparison.config.baseline,
        ...(options.jobs !== undefined ? { jobs: options.jobs } : {}),
        onCounts: (counts) => process.stderr.write(cacheLine("sensitivity", counts)),
      },
    );
    process.stdout.write(renderSensitivity(report, format === "markdown" ? "markdown" : "table"));
  }
  if (options.out !== undefined && !png) {
    process.stderr.write(
      `pkslab: wrote ${options.out} (${format}, ${cells.length} cell${cells.length === 1 ? "" : "s"}, config ${doc.context.configHash})\n`,
    );
  }
  reportFailedCells(cells);
}
