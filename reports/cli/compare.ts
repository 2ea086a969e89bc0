/**
 * `pkslab compare`: resolve the configuration, run every (workload, strategy) cell over the
 * seeds, build the result document and render it; or, with `--from`, re-render a saved
 * result document in any format without running anything.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";
import { writeFileAtomic } from "../../core/atomic-write.ts";
import type { CellResult } from "../../core/compare.ts";
import { DEFAULT_STRAY_EVERY } from "../../core/contract/stray.ts";
import { UserInputError, unknownChoiceError } from "../../core/errors.ts";
import { METRIC_CATALOG, metricSpec } from "../../core/metrics.ts";
import { censusBlock, readCensusJson } from "../census/load.ts";
import { renderSensitivity, sensitivity } from "../claims/sensitivity.ts";
import { type EmailStyle, FORMATS, metricsByName } from "../render/common.ts";
import { type Format, type RenderOptions, rendererFor } from "../render/index.ts";
import { writePngCharts } from "../render/png.ts";
import { buildResults, loadResults, type ResultDocument } from "../results.ts";
import { allCells, probeMsPerSeedRun, runCells } from "../run/cells.ts";
import { type CompareFlags, mergeCompareOptions, splitList } from "../run/config.ts";
import { estimateLine, LONG_RUN_SEED_RUNS } from "../run/estimate.ts";
import { gitCommit, resolveComparison, runContext } from "../run/plan.ts";
import { autoJobs } from "../run/pool.ts";
import { startProgress } from "../run/progress.ts";

/** Format implied by an output file's extension, if any (png: charts, into a directory). */
export const EXTENSION_FORMATS: Readonly<Record<string, Format | "png">> = {
  ".json": "json",
  ".csv": "csv",
  ".md": "markdown",
  ".markdown": "markdown",
  ".eml": "email",
  ".html": "html",
  ".htm": "html",
  ".txt": "table",
  ".png": "png",
};

/**
 * The format of a report written to `out`: --format, else the format its extension names
 * (a name without an extension gets a table). Refused before anything runs, so that no
 * file gets content its name denies: an extension naming another format than --format
 * (unless `force`), a .png name without --format (a PNG report is a directory of charts),
 * and an unknown extension without --format (with the formats and their extensions).
 */
export function outputFormat(
  format: string | undefined,
  out: string | undefined,
  force = false,
): string {
  if (out === undefined) return format ?? "table";
  if (format === "png") return format;
  const extension = extname(out).toLowerCase();
  const implied = EXTENSION_FORMATS[extension];
  const known = Object.entries(EXTENSION_FORMATS)
    .filter(([, name]) => name !== "png")
    .map(([ending, name]) => `${ending} (${name})`)
    .join(", ");
  if (format !== undefined) {
    if (implied !== undefined && implied !== format && !force) {
      throw new UserInputError(
        `--out ${out}: the extension ${extension} names the ${implied} format, but --format is ${format}; use an extension that matches (${known}), or add --force-format to write ${format} into it anyway.`,
      );
    }
    return format;
  }
  if (extension === "") return "table";
  if (implied === "png") {
    throw new UserInputError(
      `--out ${out}: a report's text cannot go into a .png file; --format png --out DIR writes the charts as PNG files into a directory, or name a text format with --format or the extension: ${known}.`,
    );
  }
  if (implied === undefined) {
    throw new UserInputError(
      `--out ${out}: unknown extension "${extension}"; give --format (${[...FORMATS, "png"].join(", ")}) or one of the extensions ${known}.`,
    );
  }
  return implied;
}

/** The text format to render: --format, else the --out extension, else table. */
export function chooseFormat(
  format: string | undefined,
  out: string | undefined,
  force = false,
): Format {
  return rendererFor(outputFormat(format, out, force)).format;
}

/**
 * Renders a document. The reproduce line also names the format (when not the default) and
 * the --metrics columns, so that it reproduces this very report.
 */
export async function renderDocument(
  doc: ResultDocument,
  format: Format,
  metricNames?: readonly string[],
  style?: EmailStyle,
): Promise<string> {
  if (style !== undefined && format !== "email") {
    throw new UserInputError(`--style applies to --format email only (the format is ${format}).`);
  }
  let reproduce = doc.context.reproduce;
  if (format !== "table" && format !== "json") reproduce += ` --format ${format}`;
  if (style !== undefined && style !== "mmtests") reproduce += ` --style ${style}`;
  if (format !== "json" && metricNames && metricNames.length > 0)
    reproduce += ` --metrics ${metricNames.join(",")}`;
  const shown: ResultDocument =
    reproduce === doc.context.reproduce ? doc : { ...doc, context: { ...doc.context, reproduce } };
  const options: RenderOptions = {
    ...(metricNames && metricNames.length > 0 ? { metrics: metricsByName(doc, metricNames) } : {}),
    ...(style !== undefined ? { style } : {}),
  };
  return await rendererFor(format).render(shown, options);
}

/** Writes a report to --out (atomically) or stdout. */
export function emit(text: string, out: string | undefined): void {
  if (out === undefined) {
    process.stdout.write(text);
    return;
  }
  try {
    writeFileAtomic(out, text);
  } catch (error) {
    throw new UserInputError(`cannot write ${out}: ${(error as Error).message}`);
  }
}

/**
 * Refuses an --out path that cannot be written (no such directory, or a directory) before
 * anything runs, so that a bad path does not cost a whole comparison.
 */
export function checkOutputPath(out: string | undefined): void {
  if (out === undefined) return;
  const parent = dirname(resolve(out));
  if (!existsSync(parent) || !statSync(parent).isDirectory()) {
    throw new UserInputError(`--out ${out}: directory ${parent} does not exist.`);
  }
  if (existsSync(out) && statSync(out).isDirectory()) {
    throw new UserInputError(`--out ${out}: is a directory.`);
  }
}

/** `--format png --out DIR`: every chart of the report as a PNG file in DIR. */
async function emitPng(doc: ResultDocument, out: string | undefined): Promise<void> {
  if (out === undefined) {
    throw new UserInputError(
      "--format png writes one file per chart: give a directory with --out.",
    );
  }
  const written = await writePngCharts(doc, out);
  process.stderr.write(`pkslab: wrote ${written.length} PNG chart(s) into ${out}\n`);
}

/** Refuses an --out directory for png whose parent does not exist (before running). */
function checkPngDirectory(out: string | undefined): void {
  if (out === undefined) {
    throw new UserInputError(
      "--format png writes one file per chart: give a directory with --out.",
    );
  }
  const parent = dirname(resolve(out));
  if (!existsSync(parent) || !statSync(parent).isDirectory()) {
    throw new UserInputError(`--out ${out}: directory ${parent} does not exist.`);
  }
  if (existsSync(out) && !statSync(out).isDirectory()) {
    throw new UserInputError(
      `--out ${out}: exists and is not a directory (--format png writes a directory).`,
    );
  }
}

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
    const report = sensitivity(
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
      { baseline: comparison.config.baseline },
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

/**
 * Every failed cell on stderr too (the report has them in its notes, which a user piping
 * stdout to a file does not see). Exit 1 when a cell could not be run (plugin error, broken
 * invariant, budget, timeout, memory); a cell that failed because the kernel would oops is
 * a result, reported as such, and does not fail the run.
 */
export function reportFailedCells(cells: readonly CellResult[], where = "", failRun = true): void {
  for (const cell of cells) {
    if (cell.status !== "failed") continue;
    process.stderr.write(
      `pkslab: cell ${cell.workload} x ${cell.strategy}${where} failed: ${cell.reason ?? "no reason given"}\n`,
    );
    if (failRun && cell.served.oopses === 0) process.exitCode = 1;
  }
}
