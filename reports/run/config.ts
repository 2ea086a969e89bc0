/**
 * Options of `pkslab compare`: the JSON config file (`--config`), the flags that override
 * it, defaults, and the `--set target.param=value` assignments.
 */

import { existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { extname, resolve } from "node:path";
import { z } from "zod";
import { readJsonFile, schemaKeysAt, UserInputError, zodErrorMessage } from "../../core/errors.ts";
import { loadErrorMessage } from "../../core/load-module.ts";
import { type EmailStyle, FORMATS } from "../render/common.ts";
import { splitList } from "./flag-schema.ts";
import { type CellMemory, type CellTimeout, cellMemoryOf, cellTimeoutOf } from "./limits.ts";

/** Default number of seeds per cell. */
export const DEFAULT_SEEDS = 5;
/** Default first seed. */
export const DEFAULT_BASE_SEED = 1;
/** Default baseline strategy. */
export const DEFAULT_BASELINE = "unprotected";

const listSchema = z.union([
  z.string().refine((text) => text.split(",").some((part) => part.trim() !== ""), "names nothing"),
  z.array(z.string()).min(1, "is an empty list"),
]);
const scalar = z.union([z.number(), z.boolean(), z.string()]);

/** The `--config` file: the same fields as the flags; unknown keys are refused. */
export const compareConfigSchema = z
  .object({
    strategies: listSchema.optional(),
    workloads: listSchema.optional(),
    plugins: z.array(z.string()).optional(),
    cpus: z.number().int().positive().optional(),
    seeds: z.number().int().positive().optional(),
    seed: z.number().int().nonnegative().optional(),
    strayEvery: z.number().nonnegative().optional(),
    profile: z.string().optional(),
    set: z.union([z.array(z.string()), z.record(z.string(), scalar)]).optional(),
    baseline: z.string().optional(),
    format: z.enum(FORMATS).optional(),
    out: z.string().optional(),
    jobs: z.number().int().positive().optional(),
    metrics: listSchema.optional(),
    check: z.boolean().optional(),
    operationBudget: z.number().int().positive().optional(),
    cellTimeout: z.number().nonnegative().optional(),
    cellMemory: z.number().int().nonnegative().optional(),
  })
  .strict();

export type CompareConfigFile = z.infer<typeof compareConfigSchema>;

/** What commander hands the compare action (every flag optional; no defaults there). */
export interface CompareFlags {
  readonly strategies?: string;
  readonly workloads?: string;
  readonly plugin?: string[];
  readonly cpus?: number;
  readonly seeds?: number;
  readonly seed?: number;
  readonly strayEvery?: number;
  readonly profile?: string;
  readonly set?: string[];
  readonly baseline?: string;
  readonly format?: string;
  readonly out?: string;
  readonly config?: string;
  readonly from?: string;
  readonly jobs?: number;
  /** Metric columns after cycles/op (comma list; rendering only). */
  readonly metrics?: string;
  /** Email layout (rendering only). */
  readonly style?: EmailStyle;
  /** Run the model's invariant checker; a cell with a violation fails. */
  readonly check?: boolean;
  /** Upper bound on workload operations per run (a runaway plugin fails its cells). */
  readonly operationBudget?: number;
  /** Wall-clock limit, in seconds, of a cell that runs plugin code (0: none). */
  readonly cellTimeout?: number;
  /** Heap limit, in MB, of the worker threads that run plugin cells (0: none). */
  readonly cellMemory?: number;
  /** A `pkslab census --format json` file: adds the adoption table to the report. */
  readonly census?: string;
  /** Also report whether the ranking per workload changes across the cost ranges. */
  readonly sensitivity?: boolean;
  /** Write --format's format even into an --out file whose extension names another one. */
  readonly forceFormat?: boolean;
  /** `--no-date` (false): leave the run's date out of context.run. */
  readonly date?: boolean;
}

/** One `--set` assignment. */
export interface Assignment {
  readonly target: string;
  readonly param: string;
  /** As given (text from the command line, or a JSON scalar from a config file). */
  readonly value: number | boolean | string;
}

/** The merged options of a comparison run. */
export interface CompareOptions {
  readonly strategies: string[];
  readonly workloads: string[];
  readonly plugins: string[];
  readonly cpus?: number;
  readonly seeds: number;
  readonly seed: number;
  readonly strayEvery?: number;
  readonly profile?: string;
  readonly assignments: Assignment[];
  /** Explicitly chosen baseline, if any. */
  readonly baseline?: string;
  readonly format?: string;
  readonly out?: string;
  /** Threads that run cells; chosen from the run's size when absent (see autoJobs). */
  readonly jobs?: number;
  /** Metric columns after cycles/op. */
  readonly metrics: string[];
  /** Run the model's invariant checker (`--check`). */
  readonly check: boolean;
  /** Operation budget per run (`--operation-budget`); the engine's default when absent. */
  readonly operationBudget?: number;
  /** Wall-clock limit of a cell that runs plugin code (`--cell-timeout`); none when absent. */
  readonly cellTimeout?: CellTimeout;
  /** Heap limit of the worker threads that run plugin cells (`--cell-memory`). */
  readonly cellMemory?: CellMemory;
}

export { splitList } from "./flag-schema.ts";

/** Parses `target.param=value`; a malformed one is a UserInputError showing the shape. */
export function parseAssignment(text: string): Assignment {
  const equals = text.indexOf("=");
  const key = equals < 0 ? text : text.slice(0, equals);
  const dot = key.indexOf(".");
  if (equals < 0 || dot <= 0 || dot === key.length - 1) {
    throw new UserInputError(
      `--set "${text}" must look like TARGET.PARAM=VALUE, where TARGET is a workload, a strategy, "machine" or "profile" (e.g. --set pmem-dax.pages=64, --set machine.flush=serial or --set profile.wrmsr_pkrs_cycles=40).`,
    );
  }
  return { target: key.slice(0, dot), param: key.slice(dot + 1), value: text.slice(equals + 1) };
}

/** File name endings read as a module (TypeScript or JavaScript) rather than JSON. */
const CONFIG_MODULE_EXTENSIONS = new Set([".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"]);

/**
 * Loads a TypeScript or JavaScript config file (synchronously, through tsx) and returns its
 * default export: the same object a JSON config file holds.
 */
function loadConfigModule(path: string): unknown {
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new UserInputError(`config file ${path} cannot be read.`);
  }
  let loaded: unknown;
  try {
    // Loaded on first use (most runs have no TypeScript config; tsx's API takes 0.2 s).
    const { require: tsxRequire } = createRequire(import.meta.url)(
      "tsx/cjs/api",
    ) as typeof import("tsx/cjs/api");
    loaded = tsxRequire(resolve(path), import.meta.url);
  } catch (error) {
    throw new UserInputError(
      `config file ${path} cannot be loaded as a module: ${loadErrorMessage(error, path)}`,
    );
  }
  const value =
    loaded !== null && typeof loaded === "object" && "default" in loaded
      ? (loaded as { default: unknown }).default
      : undefined;
  if (value === undefined) {
    throw new UserInputError(
      `config file ${path} has no default export; write \`export default { cpus: 4, ... }\`.`,
    );
  }
  return value;
}

/** Reads and validates a `--config` file: JSON, or a TypeScript/JavaScript module. */
export function loadCompareConfig(path: string): CompareConfigFile {
  if (CONFIG_MODULE_EXTENSIONS.has(extname(path).toLowerCase())) {
    return validateCompareConfig(loadConfigModule(path), path);
  }
  return validateCompareConfig(readJsonFile(path, "config file", true), path);
}

/** Checks a parsed config object against {@link compareConfigSchema}; `path` names it in errors. */
function validateCompareConfig(data: unknown, path: string): CompareConfigFile {
  const parsed = compareConfigSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    const message = zodErrorMessage(parsed.error.issues, data, (at) =>
      schemaKeysAt(compareConfigSchema, at),
    );
    throw new UserInputError(`config file ${path}: ${message}`);
  }
  return parsed.data;
}

/** Merges a config file (if any) with the flags; flags win. */
export function mergeCompareOptions(flags: CompareFlags): CompareOptions {
  const file: CompareConfigFile = flags.config ? loadCompareConfig(flags.config) : {};
  const fileAssignments: Assignment[] = Array.isArray(file.set)
    ? file.set.map(parseAssignment)
    : Object.entries(file.set ?? {}).map(([key, value]) => {
        const parsed = parseAssignment(`${key}=x`);
        return { target: parsed.target, param: parsed.param, value };
      });
  const flagAssignments = (flags.set ?? []).map(parseAssignment);
  // Later assignments win: file first, then flags.
  const byKey = new Map<string, Assignment>();
  for (const assignment of [...fileAssignments, ...flagAssignments]) {
    byKey.set(`${assignment.target}.${assignment.param}`, assignment);
  }
  return {
    strategies: splitList(flags.strategies ?? file.strategies),
    workloads: splitList(flags.workloads ?? file.workloads),
    plugins: [...(file.plugins ?? []), ...(flags.plugin ?? [])],
    cpus: flags.cpus ?? file.cpus,
    seeds: flags.seeds ?? file.seeds ?? DEFAULT_SEEDS,
    seed: flags.seed ?? file.seed ?? DEFAULT_BASE_SEED,
    strayEvery: flags.strayEvery ?? file.strayEvery,
    profile: flags.profile ?? file.profile,
    assignments: [...byKey.values()],
    baseline: flags.baseline ?? file.baseline,
    format: flags.format ?? file.format,
    out: flags.out ?? file.out,
    jobs: flags.jobs ?? file.jobs,
    metrics: splitList(flags.metrics ?? file.metrics),
    check: flags.check ?? file.check ?? false,
    operationBudget: flags.operationBudget ?? file.operationBudget,
    cellTimeout: cellTimeoutOf(flags.cellTimeout, file.cellTimeout),
    cellMemory: cellMemoryOf(flags.cellMemory, file.cellMemory),
  };
}
