/**
 * `pkslab sweep`: the comparison repeated while one parameter takes a list of values (a
 * workload parameter, a strategy option or cost, or a cost-profile parameter). Each point
 * is an ordinary result document (saved with --save-dir, one JSON file per value, so any
 * point can be re-rendered or diffed); the report shows one metric per workload, value and
 * strategy.
 */
import { mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { SingleBar } from "cli-progress";
import { writeFileAtomic } from "../../core/atomic-write.ts";
import { UserInputError } from "../../core/errors.ts";
import { metricSpec } from "../../core/metrics.ts";
import { renderSweep, SWEEP_FORMATS, type SweepPoint } from "../render/sweep.ts";
import { buildResults } from "../results.ts";
import { chooseFormat, emit } from "./compare.ts";
import { type CompareFlags, mergeCompareOptions, parseAssignment } from "./config.ts";
import { gitCommit, resolveComparison, runResolvedParallel } from "./plan.ts";

/** Flags of `pkslab sweep`: the compare flags plus the swept parameter. */
export interface SweepFlags extends CompareFlags {
  readonly vary: string;
  readonly metric?: string;
  readonly saveDir?: string;
}

const MAX_POINTS = 200;

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

/** Runs the sweep and writes the report (and the per-point result files). */
export async function sweepAction(flags: SweepFlags, toolVersion: string): Promise<void> {
  const format = flags.format ?? chooseFormat(undefined, flags.out);
  if (!(SWEEP_FORMATS as readonly string[]).includes(format)) {
    throw new UserInputError(
      `sweep --format must be one of ${SWEEP_FORMATS.join(", ")}; for other formats save the points with --save-dir and use compare --from.`,
    );
  }
  const equals = flags.vary.indexOf("=");
  if (equals < 0) {
    throw new UserInputError(
      `--vary "${flags.vary}" must look like TARGET.PARAM=VALUES (e.g. pmem-dax.pages=64,256,1024).`,
    );
  }
  const key = flags.vary.slice(0, equals);
  parseAssignment(`${key}=0`);
  const values = parseSweepValues(flags.vary.slice(equals + 1));
  const metric = flags.metric ?? "cost.cycles_per_op";
  if (!metricSpec(metric)) {
    throw new UserInputError(
      `--metric "${metric}" is not a metric pkslab emits; see the metricCatalog of a JSON result.`,
    );
  }
  const base = mergeCompareOptions(flags);
  if (base.assignments.some((a) => `${a.target}.${a.param}` === key)) {
    throw new UserInputError(`${key} is both swept (--vary) and set (--set); drop one.`);
  }
  // Resolve every point first, so a bad value fails before anything runs.
  const comparisons = [];
  for (const value of values) {
    comparisons.push(
      await resolveComparison({
        ...base,
        assignments: [...base.assignments, { ...parseAssignment(`${key}=${value}`) }],
      }),
    );
  }
  const total = comparisons.reduce((sum, c) => sum + c.workloads.length * c.strategies.length, 0);
  const bar = process.stderr.isTTY
    ? new SingleBar({
        stream: process.stderr,
        format: "sweeping [{bar}] {value}/{total} cells  {duration}s",
        hideCursor: true,
        clearOnComplete: true,
      })
    : undefined;
  bar?.start(total, 0);
  const points: SweepPoint[] = [];
  const commit = gitCommit();
  let done = 0;
  try {
    for (const [index, comparison] of comparisons.entries()) {
      const cells = await runResolvedParallel(comparison, base.jobs, (cell) =>
        bar?.update(done + cell),
      );
      done += cells.length;
      const reproduce = `${comparison.reproduce}`;
      points.push({
        value: values[index],
        doc: buildResults(
          {
            toolVersion,
            config: comparison.config,
            profile: comparison.profile,
            strategies: comparison.strategies.map((s) => s.module),
            reproduce,
            gitCommit: commit,
            run: { date: new Date().toISOString(), host: hostname(), node: process.version },
          },
          cells,
        ),
      });
    }
  } finally {
    bar?.stop();
  }
  const report = await renderSweep({
    parameter: key,
    metric,
    points,
    format: format as (typeof SWEEP_FORMATS)[number],
  });
  if (flags.saveDir !== undefined) {
    try {
      mkdirSync(flags.saveDir, { recursive: true });
      for (const point of points) {
        const name = `${key}=${point.value}`.replace(/[^A-Za-z0-9._=-]/g, "_");
        writeFileAtomic(
          join(flags.saveDir, `${name}.json`),
          `${JSON.stringify(point.doc, null, 2)}\n`,
        );
      }
    } catch (error) {
      throw new UserInputError(
        `cannot save the sweep points in ${flags.saveDir}: ${(error as Error).message}`,
      );
    }
  }
  emit(report, flags.out);
}
