/**
 * The result contract: the one JSON document a comparison produces, which every renderer
 * consumes (so any report can be re-rendered from a saved file with `compare --from`).
 *
 * Stable and versioned (`schemaVersion`). Everything in it is a function of the resolved
 * configuration and the seeds, except `context.run` (date, host, Node version), which is the
 * only non-deterministic block. Its shape (the zod schema, from which
 * `reports/results/schema/results.schema.json` is generated and shipped for other tools) is in
 * result-schema.ts, re-exported here; this file builds, parses and reads documents.
 *
 * @packageDocumentation
 */
import { createHash } from "node:crypto";
import type { CellResult } from "../../core/compare.ts";
import type { StrategyModule } from "../../core/contract/strategy.ts";
import { readJsonFile, UserInputError } from "../../core/errors.ts";
import { catalogFor } from "../../core/metrics.ts";
import type { CostProfile } from "../../core/profile.ts";
import { canonicalJson, modelHash } from "./provenance.ts";
import {
  type CellReport,
  type CensusBlock,
  type CostEntry,
  DISCLAIMER,
  type MetricSummary,
  RESULTS_SCHEMA_VERSION,
  type ResolvedConfig,
  type ResultDocument,
  resultDocumentSchema,
} from "./result-schema.ts";
import { summarize } from "./stats.ts";
import { overallVerdicts, unverifiedBasis, vsBaselineOf } from "./verdict.ts";

export { canonicalJson } from "./provenance.ts";
export * from "./result-schema.ts";

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
  /** The commit, with -dirty (see reports/results/provenance.ts gitCommit). */
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
  return parseResults(readJsonFile(path, "result file"), path);
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
