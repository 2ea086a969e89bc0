/**
 * The grid of a sweep: the `--param`/`--vary` values (lists and ranges) of one or two
 * parameters, every combination of them, the `--metric` list, and the report formats a
 * sweep writes.
 */

import { UserInputError, unknownChoiceError } from "../../core/errors.ts";
import { METRIC_CATALOG, metricSpec } from "../../core/metrics.ts";
import { PRIMARY_METRIC, SHOWN_METRICS } from "../render/common.ts";
import { SWEEP_FORMATS } from "../render/sweep-common.ts";
import { parseAssignment, splitList } from "../run/config.ts";

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

/** One swept parameter and its values, in the order given. */
export interface SweepAxis {
  /** `cpus`, or TARGET.PARAM as for `--set`. */
  readonly parameter: string;
  readonly values: readonly string[];
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
