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
import { RUN_STATUSES } from "../core/engine.ts";
import { UserInputError } from "../core/errors.ts";
import { ARCHS, BROADCAST_MODES, FLUSH_MODES, REGION_MEMORY } from "../core/machine/params.ts";
import { catalogFor } from "../core/metrics.ts";
import { CONFIDENCE_LEVELS, type CostProfile } from "../core/profile.ts";
import type { StrategyModule } from "../strategies/api.ts";
import { canonicalJson, modelHash, provenanceSchema } from "./provenance.ts";
import { PAIRED_METHOD, summarize } from "./stats.ts";
import { overallVerdicts, unverifiedBasis, vsBaselineOf } from "./verdict.ts";

export { canonicalJson } from "./provenance.ts";

/** Version of the document's shape; bumped only on an incompatible change. */
export const RESULTS_SCHEMA_VERSION = 2;

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
        // Issue 18 fields: optional so that results saved before them still load.
        flush: z.enum(FLUSH_MODES).optional(),
        broadcast: z.enum(BROADCAST_MODES).optional(),
        invlpgbMinCpus: z.number().int().optional(),
        nrCpus: z.number().int().optional().describe("CONFIG_NR_CPUS (a build constant)"),
        l1dEntries4k: z.number().int().optional(),
        l1dEntries2m: z.number().int().optional(),
        l1dEntries1g: z.number().int().optional(),
        l1dWays: z.number().int().optional(),
        stlbEntries: z.number().int().optional(),
        stlbEntries1g: z.number().int().optional(),
        stlbWays: z.number().int().optional(),
        // Issue 20: present only on a machine of another architecture than x86-64.
        arch: z.enum(ARCHS).optional(),
        lowmemMiB: z.number().int().optional(),
        pkmapEntries: z.number().int().optional(),
        regionMemory: z.enum(REGION_MEMORY).optional(),
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

const count = z.number().int().nonnegative();

/** What the strategy served of the workload's work, summed over the cell's seeds. */
const servedSchema = z
  .object({
    maps: count,
    refusedMaps: count,
    refusedUnmaps: count,
    brokenAccesses: count,
    oopses: count,
    skippedAccesses: count,
    refusedPageMoves: count,
  })
  .strict();

/** A change against the baseline from paired seeds (see reports/stats.ts pairedRatio). */
const pairedSchema = z
  .object({
    metric: z.string(),
    change: z.number().describe("exp(mean per-seed log ratio) - 1: 0.23 for +23%"),
    ciLow: z.number(),
    ciHigh: z.number(),
    n: z.number().int().positive(),
    method: z.literal(PAIRED_METHOD),
    confidence: z.literal(0.95),
    significant: z
      .boolean()
      .describe("The interval excludes zero; never true for a cell that is not ok"),
  })
  .strict();

const cellSchema = z
  .object({
    workload: z.string(),
    strategy: z.string(),
    status: z.enum(RUN_STATUSES),
    reason: z.string().optional(),
    served: servedSchema,
    vsBaseline: pairedSchema
      .optional()
      .describe("Present for ok and partial candidates whose baseline cell is ok"),
    runs: z.array(
      z.object({ seed: z.number().int(), metrics: z.record(z.string(), z.number()) }).strict(),
    ),
    summary: z.record(z.string(), summarySchema),
  })
  .strict();

/** One candidate's overall change over the workloads every compared strategy served. */
const overallSchema = z
  .object({
    strategy: z.string(),
    metric: z.string(),
    change: nullableNumber.describe(
      "Geometric-mean change as a fraction; null without common workloads",
    ),
    ciLow: nullableNumber,
    ciHigh: nullableNumber,
    n: z.number().int().nonnegative().describe("Seeds paired"),
    method: z.string(),
    significant: z.boolean(),
    min: nullableNumber.describe("Smallest per-workload change over the common workloads"),
    median: nullableNumber,
    max: nullableNumber,
    workloads: z.array(z.string()).describe("The common workloads the figure is over"),
    excluded: z.array(z.object({ workload: z.string(), reason: z.string() }).strict()),
    served: z
      .object({ ok: count, of: count })
      .strict()
      .describe("Workloads on which this strategy is ok, of those run"),
  })
  .strict();

/** How much of the verdict rests on cost parameters nobody has measured. */
const unverifiedSchema = z
  .object({
    parameters: count.describe("Cost parameters (profile and strategies) marked unverified"),
    of: count,
    names: z.array(z.string()),
    share: nullableNumber.describe(
      "Share of the candidates' absolute changes in cycles/op, over the common workloads, charged by unverified parameters",
    ),
    leaning: z
      .array(z.object({ parameter: z.string(), share: z.number() }).strict())
      .describe("The unverified parameters with the largest shares, largest first"),
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
        gitCommit: z
          .string()
          .regex(/^[0-9a-f]{40}(-dirty)?$/)
          .optional()
          .describe("The pkslab checkout's commit; -dirty when tracked files had changes"),
        configHash: z
          .string()
          .regex(/^[0-9a-f]{12}$/)
          .describe("Hash of the resolved configuration, the cost profile and modelHash"),
        modelHash: z
          .string()
          .regex(/^[0-9a-f]{12}$/)
          .describe("sha256 (12 hex digits) of the source of core/, strategies/ and workloads/"),
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
    overall: z.array(overallSchema),
    unverified: unverifiedSchema,
    glossary: z
      .array(
        z
          .object({
            strategy: z.string(),
            summary: z.string(),
            proposed: z
              .array(z.string())
              .optional()
              .describe("Mechanisms the strategy assumes that the x86-64 6.1 kernel lacks"),
          })
          .strict(),
      )
      .describe("One line per strategy of the report: what it is"),
    census: censusBlockSchema.optional(),
  })
  .strict();

export type ResultDocument = z.infer<typeof resultDocumentSchema>;
export type ResolvedConfig = ResultDocument["context"]["config"];
export type CellReport = ResultDocument["results"][number];
export type MetricSummary = CellReport["summary"][string];
export type CostEntry = z.infer<typeof costEntrySchema>;
export type CensusBlock = z.infer<typeof censusBlockSchema>;
export type OverallVerdict = z.infer<typeof overallSchema>;
export type PairedVerdict = z.infer<typeof pairedSchema>;
export type UnverifiedBasis = z.infer<typeof unverifiedSchema>;

/** The JSON Schema (draft 2020-12) of a result document. */
export function resultsJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(resultDocumentSchema, { target: "draft-2020-12" }),
    $id: `https://pkslab.invalid/schema/results-v${RESULTS_SCHEMA_VERSION}.json`,
    title: "pkslab comparison results",
  };
}

/** Version of the document `pkslab sweep --format json` (and `merge`) writes. */
export const SWEEP_JSON_VERSION = 3;

/** A sweep's JSON document: its parameters and metrics, and every point's result document. */
export const sweepDocumentSchema = z
  .object({
    sweepVersion: z.literal(SWEEP_JSON_VERSION),
    /** The sweep's context block (reports/provenance.ts): version, commit, hashes, reproduce. */
    context: provenanceSchema,
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

/**
 * First 12 hex digits of the sha256 of the canonical configuration, cost profile and model
 * hash ({@link modelHash}: the source of core/, strategies/ and workloads/), so that two
 * different models never share a config hash.
 */
export function configHash(
  config: ResolvedConfig,
  costProfile: unknown,
  model: string = modelHash(),
): string {
  return createHash("sha256")
    .update(canonicalJson({ config, costProfile, modelHash: model }))
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
  /** The commit, with -dirty (see reports/provenance.ts gitCommit). */
  readonly gitCommit?: string;
  /** The model's hash; default: this checkout's ({@link modelHash}). A merge passes the shards'. */
  readonly modelHash?: string;
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
  const baseline = inputs.config.baseline;
  const results: CellReport[] = cells.map((cell) => {
    const base = cells.find((c) => c.workload === cell.workload && c.strategy === baseline);
    const paired = cell.strategy === baseline || !base ? undefined : vsBaselineOf(base, cell);
    return {
      workload: cell.workload,
      strategy: cell.strategy,
      status: cell.status,
      ...(cell.reason !== undefined ? { reason: cell.reason } : {}),
      served: { ...cell.served },
      ...(paired ? { vsBaseline: paired } : {}),
      runs: cell.runs.map((run) => ({ seed: run.seed, metrics: { ...run.metrics } })),
      summary: summarizeCell(cell.runs),
    };
  });
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
  const model = inputs.modelHash ?? modelHash();
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    context: {
      tool: { name: "pkslab", version: inputs.toolVersion },
      ...(inputs.gitCommit ? { gitCommit: inputs.gitCommit } : {}),
      configHash: configHash(inputs.config, costProfile, model),
      modelHash: model,
      disclaimer: DISCLAIMER,
      reproduce: inputs.reproduce,
      config: inputs.config,
      costProfile,
      run: inputs.run,
    },
    metricCatalog,
    results,
    overall: overallVerdicts(
      baseline,
      inputs.config.strategies.map((strategy) => strategy.name),
      results,
    ),
    unverified: unverifiedBasis(costProfile, baseline, results),
    glossary: inputs.config.strategies.map(({ name }) => {
      const module = inputs.strategies.find((candidate) => candidate.name === name);
      const proposed = module?.proposed ?? [];
      return {
        strategy: name,
        summary: module?.summary ?? "",
        ...(proposed.length > 0 ? { proposed: [...proposed] } : {}),
      };
    }),
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
      `${origin}: results of schema version ${String(data.schemaVersion)} cannot be read; this pkslab reads schema version ${RESULTS_SCHEMA_VERSION} (version 2 added cell statuses with served counts, paired statistics, the overall over common workloads and steady-state costs apart from setup). Re-run the comparison with this pkslab (its reproduce line is in the file's context.reproduce).`,
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
