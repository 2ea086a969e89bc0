/**
 * The result contract: the one JSON document a comparison produces, which every renderer
 * consumes (so any report can be re-rendered from a saved file with `compare --from`).
 *
 * Stable and versioned (`schemaVersion`). Everything in it is a function of the resolved
 * configuration and the seeds, except `context.run` (date, host, Node version), which is the
 * only non-deterministic block. `reports/schema/results.schema.json` is generated from the
 * zod schema below and shipped for other tools.
 *
 * @packageDocumentation
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { z } from "zod";
import type { CellResult } from "../core/compare.ts";
import { UserInputError } from "../core/errors.ts";
import { catalogFor } from "../core/metrics.ts";
import { CONFIDENCE_LEVELS, type CostProfile } from "../core/profile.ts";
import type { StrategyModule } from "../strategies/api.ts";
import { summarize } from "./stats.ts";

/** Version of the document's shape; bumped only on an incompatible change. */
export const RESULTS_SCHEMA_VERSION = 1;

/** The standing disclaimer every report carries, in one line. */
export const DISCLAIMER = "Model results (simulated machine), not measurements of a real machine.";

const optionValue = z.union([z.number(), z.boolean(), z.string()]);
const nullableNumber = z.number().nullable();

const costEntrySchema = z
  .object({
    value: z.number(),
    unit: z.string(),
    confidence: z.enum(CONFIDENCE_LEVELS),
    source: z.string(),
    range: z.tuple([z.number(), z.number()]).optional(),
    fittedTo: z.string().optional(),
  })
  .strict();

const configSchema = z
  .object({
    strategies: z.array(
      z
        .object({
          name: z.string(),
          version: z.string(),
          source: z.string(),
          options: z.record(z.string(), optionValue),
          costOverrides: z.record(z.string(), z.number()),
        })
        .strict(),
    ),
    workloads: z.array(
      z
        .object({
          name: z.string(),
          version: z.string(),
          source: z.string(),
          params: z.record(z.string(), optionValue),
        })
        .strict(),
    ),
    machine: z
      .object({
        cpus: z.number().int(),
        memoryGiB: z.number(),
        directMapLeaf: z.enum(["1g", "2m", "4k"]),
        vmallocPages: z.number().int(),
        cr0wp: z.boolean(),
      })
      .strict(),
    seeds: z.array(z.number().int()),
    baseline: z.string(),
    strayEvery: z
      .number()
      .nullable()
      .describe(
        "Mean operations between injected strays for every workload; null = each workload's stray_every parameter",
      ),
    profile: z.string().describe("The --profile argument: a built-in profile name or a file path"),
    profileOverrides: z.record(z.string(), z.number()),
  })
  .strict();

const summarySchema = z
  .object({
    n: z.number().int(),
    mean: nullableNumber,
    sd: nullableNumber,
    ciLow: nullableNumber,
    ciHigh: nullableNumber,
  })
  .strict();

const cellSchema = z
  .object({
    workload: z.string(),
    strategy: z.string(),
    status: z.enum(["ok", "unsupported", "error"]),
    reason: z.string().optional(),
    runs: z.array(
      z.object({ seed: z.number().int(), metrics: z.record(z.string(), z.number()) }).strict(),
    ),
    summary: z.record(z.string(), summarySchema),
  })
  .strict();

/**
 * The adoption side of the comparison, from a `pkslab census --format json` file given to
 * `compare --census`: how many kernel call sites each strategy's API would have to change.
 */
const censusBlockSchema = z
  .object({
    release: z.string().nullable(),
    arch: z.string(),
    command: z.string(),
    totalCalls: z.number().int().nonnegative(),
    adoption: z.array(
      z
        .object({
          strategy: z.string(),
          sites: z.number().int().nonnegative(),
          summary: z.string(),
        })
        .strict(),
    ),
  })
  .strict();

/** The zod schema of a result document (the JSON Schema file is generated from it). */
export const resultDocumentSchema = z
  .object({
    schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
    context: z
      .object({
        tool: z.object({ name: z.literal("pkslab"), version: z.string() }).strict(),
        gitCommit: z.string().optional(),
        configHash: z.string().regex(/^[0-9a-f]{12}$/),
        disclaimer: z.string(),
        reproduce: z.string(),
        config: configSchema,
        costProfile: z
          .object({
            name: z.string(),
            summary: z.string(),
            parameters: z.record(z.string(), costEntrySchema),
            strategyParameters: z.record(z.string(), z.record(z.string(), costEntrySchema)),
          })
          .strict(),
        run: z
          .object({
            date: z.string().optional().describe("When the run was made; left out with --no-date"),
            host: z.string(),
            node: z.string(),
          })
          .strict()
          .describe("The only non-deterministic fields of the document"),
      })
      .strict(),
    metricCatalog: z.record(
      z.string(),
      z
        .object({
          unit: z.string(),
          description: z.string(),
          direction: z.enum(["lower", "higher", "none"]),
        })
        .strict(),
    ),
    results: z.array(cellSchema),
    census: censusBlockSchema.optional(),
  })
  .strict();

export type ResultDocument = z.infer<typeof resultDocumentSchema>;
export type ResolvedConfig = ResultDocument["context"]["config"];
export type CellReport = ResultDocument["results"][number];
export type MetricSummary = CellReport["summary"][string];
export type CostEntry = z.infer<typeof costEntrySchema>;
export type CensusBlock = z.infer<typeof censusBlockSchema>;

/** The JSON Schema (draft 2020-12) of a result document. */
export function resultsJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(resultDocumentSchema, { target: "draft-2020-12" }),
    $id: "https://pkslab.invalid/schema/results-v1.json",
    title: "pkslab comparison results",
  };
}

/** Version of the document `pkslab sweep --format json` (and `merge`) writes. */
export const SWEEP_JSON_VERSION = 2;

/** A sweep's JSON document: its parameters and metrics, and every point's result document. */
export const sweepDocumentSchema = z
  .object({
    sweepVersion: z.literal(SWEEP_JSON_VERSION),
    /** The swept parameters (one or two), in the order given. */
    parameters: z.array(z.string()).min(1).max(2),
    /** The reported metrics. */
    metrics: z.array(z.string()).min(1),
    /** Every point of the grid, the first parameter outermost. */
    points: z.array(
      z
        .object({
          /** The point's value of each swept parameter, in parameter order. */
          values: z.array(z.string()).min(1).max(2),
          /** The point's comparison, a result document in its own right. */
          doc: resultDocumentSchema,
        })
        .strict(),
    ),
  })
  .strict();

/** JSON Schema (draft 2020-12) of sweep documents, generated from {@link sweepDocumentSchema}. */
export function sweepJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(sweepDocumentSchema, { target: "draft-2020-12" }),
    $id: `https://pkslab.invalid/schema/sweep-v${SWEEP_JSON_VERSION}.json`,
    title: "pkslab sweep results",
  };
}

/** JSON with object keys sorted at every level: the canonical form hashed for configHash. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** First 12 hex digits of the sha256 of the canonical configuration and cost profile. */
export function configHash(config: ResolvedConfig, costProfile: unknown): string {
  return createHash("sha256")
    .update(canonicalJson({ config, costProfile }))
    .digest("hex")
    .slice(0, 12);
}

function costEntry(spec: {
  value: number;
  unit: string;
  confidence: CostEntry["confidence"];
  source: string;
  range?: readonly [number, number];
  fittedTo?: string;
}): CostEntry {
  return {
    value: spec.value,
    unit: spec.unit,
    confidence: spec.confidence,
    source: spec.source,
    ...(spec.range ? { range: [spec.range[0], spec.range[1]] as [number, number] } : {}),
    ...(spec.fittedTo !== undefined ? { fittedTo: spec.fittedTo } : {}),
  };
}

const finiteOrNull = (value: number): number | null => (Number.isFinite(value) ? value : null);

/** Per-metric summaries of a cell's seeds, in the order the engine emitted the metrics. */
export function summarizeCell(runs: CellResult["runs"]): Record<string, MetricSummary> {
  const summary: Record<string, MetricSummary> = {};
  if (runs.length === 0) return summary;
  for (const metric of Object.keys(runs[0].metrics)) {
    const s = summarize(runs.map((run) => run.metrics[metric] ?? 0));
    summary[metric] = {
      n: s.n,
      mean: finiteOrNull(s.mean),
      sd: finiteOrNull(s.sd),
      ciLow: finiteOrNull(s.ciLow),
      ciHigh: finiteOrNull(s.ciHigh),
    };
  }
  return summary;
}

/** Inputs of {@link buildResults} besides the cells. */
export interface ResultInputs {
  readonly toolVersion: string;
  readonly config: ResolvedConfig;
  /** The cost profile after `--set profile.*` overrides. */
  readonly profile: CostProfile;
  /** The strategies that ran (for their declared cost parameters). */
  readonly strategies: readonly StrategyModule[];
  readonly reproduce: string;
  readonly gitCommit?: string;
  readonly run: ResultDocument["context"]["run"];
  /** Adoption figures from a census JSON (`compare --census`). */
  readonly census?: CensusBlock;
}

/** Assembles the result document of a comparison. */
export function buildResults(inputs: ResultInputs, cells: readonly CellResult[]): ResultDocument {
  const parameters: Record<string, CostEntry> = {};
  for (const name of Object.keys(inputs.profile.parameters).sort()) {
    parameters[name] = costEntry(inputs.profile.parameters[name]);
  }
  const strategyParameters: Record<string, Record<string, CostEntry>> = {};
  for (const module of inputs.strategies) {
    const entries: Record<string, CostEntry> = {};
    for (const name of Object.keys(module.costs).sort())
      entries[name] = costEntry(module.costs[name]);
    strategyParameters[module.name] = entries;
  }
  const costProfile = {
    name: inputs.profile.name,
    summary: inputs.profile.summary,
    parameters,
    strategyParameters,
  };
  const results: CellReport[] = cells.map((cell) => ({
    workload: cell.workload,
    strategy: cell.strategy,
    status: cell.status,
    ...(cell.reason !== undefined ? { reason: cell.reason } : {}),
    runs: cell.runs.map((run) => ({ seed: run.seed, metrics: { ...run.metrics } })),
    summary: summarizeCell(cell.runs),
  }));
  const metricNames = new Set<string>();
  for (const cell of results) for (const name of Object.keys(cell.summary)) metricNames.add(name);
  const metricCatalog: ResultDocument["metricCatalog"] = {};
  for (const spec of catalogFor([...metricNames].sort())) {
    metricCatalog[spec.name] = {
      unit: spec.unit,
      description: spec.description,
      direction: spec.direction,
    };
  }
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    context: {
      tool: { name: "pkslab", version: inputs.toolVersion },
      ...(inputs.gitCommit ? { gitCommit: inputs.gitCommit } : {}),
      configHash: configHash(inputs.config, costProfile),
      disclaimer: DISCLAIMER,
      reproduce: inputs.reproduce,
      config: inputs.config,
      costProfile,
      run: inputs.run,
    },
    metricCatalog,
    results,
    ...(inputs.census ? { census: inputs.census } : {}),
  };
}

/** Validates a parsed document; `origin` names it in errors. */
export function parseResults(data: unknown, origin: string): ResultDocument {
  if (
    data !== null &&
    typeof data === "object" &&
    "schemaVersion" in data &&
    data.schemaVersion !== RESULTS_SCHEMA_VERSION
  ) {
    throw new UserInputError(
      `${origin}: schemaVersion ${String(data.schemaVersion)} is not supported; this pkslab reads version ${RESULTS_SCHEMA_VERSION}.`,
    );
  }
  const parsed = resultDocumentSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
    throw new UserInputError(`${origin} is not a pkslab result file: ${where}: ${issue.message}.`);
  }
  return parsed.data;
}

/** Reads and validates a result file written by `pkslab compare --format json`. */
export function loadResults(path: string): ResultDocument {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new UserInputError(`result file ${path} cannot be read.`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UserInputError(`result file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseResults(data, path);
}

/** Seeds as printed in headers: "1-5" for a run of consecutive seeds, else a comma list. */
export function seedLabel(seeds: readonly number[]): string {
  if (seeds.length === 0) return "none";
  const consecutive = seeds.every((seed, i) => i === 0 || seed === seeds[i - 1] + 1);
  if (consecutive && seeds.length > 2) return `${seeds[0]}-${seeds[seeds.length - 1]}`;
  return seeds.join(",");
}

/** Unique workload names of a document, in result order. */
export function workloadsOf(doc: ResultDocument): string[] {
  return [...new Set(doc.results.map((cell) => cell.workload))];
}
