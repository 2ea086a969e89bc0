/**
 * The result contract's shape: the zod schema of the one JSON document a comparison
 * produces (and of a sweep's document), its types and the JSON Schema generated from it
 * (`reports/results/schema/`). Building and reading documents is in results.ts; the verdict
 * (verdict.ts) works on these types, so it imports this file and not results.ts.
 *
 * @packageDocumentation
 */
import { z } from "zod";
import { RUN_STATUSES } from "../../core/engine/index.ts";
import { ARCHS, BROADCAST_MODES, FLUSH_MODES, REGION_MEMORY } from "../../core/machine/params.ts";
import { CONFIDENCE_LEVELS } from "../../core/profile.ts";
import { provenanceSchema } from "./provenance.ts";
import { PAIRED_METHOD } from "./stats.ts";

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

/** A change against the baseline from paired seeds (see reports/results/stats.ts pairedRatio). */
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
    /** The sweep's context block (reports/results/provenance.ts): version, commit, hashes, reproduce. */
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
