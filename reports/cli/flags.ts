/**
 * Every command's flags as one zod schema each. The building blocks they share (and the
 * analyses' commands use) are in reports/run/flag-schema.ts (its parseFlags re-exported here). A
 * command hands commander's raw option object (plus its arguments) to {@link parseFlags} at
 * the start of its action; a bad value becomes one UserInputError (exit 2) that names the
 * flag, the value, what was expected and, for a name, the valid choices with a suggestion:
 *
 *   --cpus must be a whole number >= 1, got "0".
 *   --format: unknown format "markdwn". Did you mean "markdown"? Valid choices: table, ...
 *   --out /tmp/none/r.json: directory /tmp/none does not exist.
 *
 * Unknown flags stay commander's job. The sweep-specific options (--param, --vary, --metric,
 * --save-dir, --shard, sweep's --format) are checked by reports/commands/sweep-grid.ts; the run
 * options sweep shares with compare go through {@link runFlagsSchema}.
 */
import type { Command } from "commander";
import { z } from "zod";
import { ARCHS } from "../../core/machine/params.ts";
import { EMAIL_STYLES, FORMATS } from "../render/common.ts";
import { SWEEP_FORMATS } from "../render/sweep-common.ts";
import { parseAssignment } from "../run/config.ts";
import {
  choice,
  flag,
  nameList,
  nonNegativeNumber,
  outPath,
  parseFlags,
  reject,
  text,
  texts,
  wholeNumber,
} from "../run/flag-schema.ts";

export { parseFlags } from "../run/flag-schema.ts";

/** `--set TARGET.PARAM=VALUE` (the shape only; the target and value are resolved later). */
export function assignment() {
  return z.string().transform((raw, ctx): string => {
    try {
      parseAssignment(raw);
    } catch (error) {
      return reject(ctx, { value: raw, message: (error as Error).message });
    }
    return raw;
  });
}

/**
 * A commander hook that validates a command's options with `schema` before its action
 * runs and hands the action the parsed values. Options the schema does not name are left
 * as commander parsed them.
 */
export function validateOptionsHook(schema: z.ZodObject) {
  return (command: Command): void => {
    const parsed = parseFlags(schema, command.opts()) as Record<string, unknown>;
    for (const [key, value] of Object.entries(parsed)) {
      command.setOptionValueWithSource(key, value, command.getOptionValueSource(key) ?? "cli");
    }
  };
}

/** The options `compare` and `sweep` share: what to run, on what machine, with what costs. */
export const runFlagsSchema = z.object({
  strategies: nameList("strategy names or plugin paths").optional(),
  workloads: nameList("workload names or plugin paths").optional(),
  plugin: texts().optional(),
  cpus: wholeNumber(1).optional(),
  seeds: wholeNumber(1).optional(),
  seed: wholeNumber(0).optional(),
  strayEvery: nonNegativeNumber().optional(),
  profile: text().optional(),
  set: z.array(assignment()).optional(),
  baseline: text().optional(),
  config: text().optional(),
  jobs: wholeNumber(1).optional(),
  check: flag().optional(),
  operationBudget: wholeNumber(1).optional(),
  cellTimeout: nonNegativeNumber().optional(),
  cellMemory: wholeNumber(0).optional(),
});

/** The report options of `compare`, `sweep` and `merge`: which format, into which file. */
function reportFlags<const T extends readonly string[]>(formats: T) {
  return {
    format: choice("format", formats).optional(),
    out: text().optional(),
    forceFormat: flag().optional(),
    date: flag().optional(),
  };
}

/** Report formats of `compare`: the renderers, and png (charts into a directory). */
export const COMPARE_FORMATS = [...FORMATS, "png"] as const;

/** `pkslab compare`. (--out is checked in reports/commands/output.ts: png wants a directory.) */
export const compareFlagsSchema = runFlagsSchema.extend({
  ...reportFlags(COMPARE_FORMATS),
  from: text().optional(),
  census: text().optional(),
  sensitivity: flag().optional(),
  style: choice("email style", EMAIL_STYLES).optional(),
  metrics: nameList("metric names").optional(),
});
export type CompareFlagValues = z.output<typeof compareFlagsSchema>;

/** Report formats of `sweep` and `merge`: the sweep renderers, json and png. */
export const SWEEP_REPORT_FORMATS = [...SWEEP_FORMATS, "json", "png"] as const;

/**
 * `pkslab sweep`: the run options and its own. The swept parameters, metrics and shard are
 * parsed in reports/commands/ (parseSweepAxes, parseSweepMetrics in sweep-grid.ts, parseShard in shards.ts), which
 * know the targets and the metric catalog.
 */
export const sweepFlagsSchema = runFlagsSchema.extend({
  param: texts().optional(),
  vary: texts().optional(),
  metric: text().optional(),
  saveDir: text().optional(),
  shard: text().optional(),
  ...reportFlags(SWEEP_REPORT_FORMATS),
});

/** `pkslab merge <shards...>`. */
export const mergeFlagsSchema = z.object({
  ...reportFlags(SWEEP_REPORT_FORMATS),
  saveDir: text().optional(),
});

/** `pkslab list` and `pkslab describe <name>`. */
export const catalogFlagsSchema = z.object({
  plugin: texts().optional(),
  json: flag().optional(),
  profile: text().optional(),
});

/** `pkslab check-plugin <file>`. */
export const checkPluginFlagsSchema = z.object({
  json: flag().optional(),
  profile: text().optional(),
  arch: choice("architecture", ARCHS).optional(),
  cellTimeout: nonNegativeNumber().optional(),
  cellMemory: wholeNumber(0).optional(),
});

/** `pkslab diff <a> <b>`. */
export const diffFlagsSchema = z.object({
  out: outPath().optional(),
  metrics: nameList("metric names").optional(),
});

/** `pkslab machines`. */
export const machinesFlagsSchema = z.object({
  out: outPath().optional(),
  capability: text(),
});

/** `pkslab profile`. */
export const profileFlagsSchema = z.object({
  profile: text(),
  json: flag().optional(),
});
