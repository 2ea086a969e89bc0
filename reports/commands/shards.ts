/**
 * Sweep shards: `pkslab sweep --shard k/n` writes slice k of the sweep's cells with every
 * point's resolved configuration; `pkslab merge` reads the slices back (loadShard), checks
 * that they come from one sweep and cover it once, and puts the cells back in point order
 * (combineShards).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { CellResult } from "../../core/compare.ts";
import { UserInputError } from "../../core/errors.ts";
import type { CostProfile } from "../../core/profile.ts";
import type { StrategyModule } from "../../strategies/api.ts";
import type { ResolvedConfig } from "../results/results.ts";
import type { ResolvedComparison } from "../run/plan.ts";

/** Version of the shard file format written by `sweep --shard` and read by `pkslab merge`. */
export const SHARD_FORMAT = 3;

/** What a point of the sweep needs to become a result document, without re-resolving it. */
export interface ShardPoint {
  /** The point's value of each swept parameter, in parameter order. */
  readonly values: readonly string[];
  readonly config: ResolvedConfig;
  readonly profile: CostProfile;
  /** Name and declared costs (after overrides) of each strategy: all a result needs of it. */
  readonly strategies: readonly Pick<StrategyModule, "name" | "costs">[];
  readonly reproduce: string;
}

/** A slice of a sweep: every point's configuration, and the cells of this slice. */
export interface ShardFile {
  readonly pkslabSweepShard: typeof SHARD_FORMAT;
  readonly toolVersion: string;
  readonly gitCommit?: string;
  /** The model's hash (reports/results/provenance.ts): shards of different models do not merge. */
  readonly modelHash: string;
  /** Identifies the sweep: shards merge only with shards of the same one. */
  readonly sweepId: string;
  readonly parameters: readonly string[];
  readonly metrics: readonly string[];
  readonly shard: { readonly index: number; readonly count: number };
  readonly points: readonly ShardPoint[];
  /** Number of cells in the whole sweep (all shards). */
  readonly totalCells: number;
  /** This slice's cells, by their index in the whole sweep (point, workload, strategy order). */
  readonly cells: readonly { readonly task: number; readonly cell: CellResult }[];
}

/** Parses `--shard k/n` (1 <= k <= n). */
export function parseShard(text: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = match ? Number(match[1]) : Number.NaN;
  const count = match ? Number(match[2]) : Number.NaN;
  if (!match || index < 1 || count < 1 || index > count || count > 100_000) {
    throw new UserInputError(
      `--shard "${text}" must be k/n with 1 <= k <= n (e.g. 3/8: the third of eight slices).`,
    );
  }
  return { index, count };
}

/** A resolved point as the shard file keeps it. */
export function shardPoint(values: readonly string[], comparison: ResolvedComparison): ShardPoint {
  return {
    values,
    config: comparison.config,
    profile: comparison.profile,
    strategies: comparison.strategies.map((s) => ({ name: s.module.name, costs: s.module.costs })),
    reproduce: comparison.reproduce,
  };
}

/** The identity of a sweep: its parameters, metrics and every point's resolved configuration. */
export function sweepIdOf(
  toolVersion: string,
  model: string,
  parameters: readonly string[],
  metrics: readonly string[],
  points: readonly ShardPoint[],
): string {
  return createHash("sha256")
    .update(JSON.stringify({ toolVersion, model, parameters, metrics, points }))
    .digest("hex")
    .slice(0, 16);
}

/** Checks that shard files come from one sweep and cover it once; returns the merged sweep. */
export function combineShards(files: readonly ShardFile[]): {
  parameters: readonly string[];
  metrics: readonly string[];
  toolVersion: string;
  gitCommit?: string;
  modelHash: string;
  points: readonly ShardPoint[];
  cells: CellResult[][];
} {
  if (files.length === 0) throw new UserInputError("merge: no shard files given.");
  const first = files[0];
  const count = first.shard.count;
  const seen = new Set<number>();
  for (const file of files) {
    if (file.modelHash !== first.modelHash) {
      throw new UserInputError(
        `merge: shard ${file.shard.index}/${file.shard.count} was run by another model (model hash ${file.modelHash}, not ${first.modelHash}): run every shard from the same pkslab source.`,
      );
    }
    if (file.sweepId !== first.sweepId) {
      throw new UserInputError(
        `merge: shard ${file.shard.index}/${file.shard.count} is from another sweep (${file.sweepId}, not ${first.sweepId}): same command, values and pkslab version are needed.`,
      );
    }
    if (file.shard.count !== count) {
      throw new UserInputError(
        `merge: shards of ${count} and of ${file.shard.count} slices cannot be combined.`,
      );
    }
    if (seen.has(file.shard.index)) {
      throw new UserInputError(`merge: shard ${file.shard.index}/${count} is given twice.`);
    }
    seen.add(file.shard.index);
  }
  const missing = [];
  for (let index = 1; index <= count; index++)
    if (!seen.has(index)) missing.push(`${index}/${count}`);
  if (missing.length > 0) throw new UserInputError(`merge: shard ${missing.join(", ")} missing.`);
  const byTask: (CellResult | undefined)[] = new Array(first.totalCells).fill(undefined);
  for (const file of files) for (const { task, cell } of file.cells) byTask[task] = cell;
  if (byTask.some((cell) => cell === undefined)) {
    throw new UserInputError("merge: the shards do not hold every cell of the sweep.");
  }
  const cells: CellResult[][] = first.points.map(() => []);
  let task = 0;
  first.points.forEach((point, index) => {
    const perPoint = point.config.workloads.length * point.config.strategies.length;
    for (let i = 0; i < perPoint; i++) cells[index].push(byTask[task++] as CellResult);
  });
  return {
    parameters: first.parameters,
    metrics: first.metrics,
    toolVersion: first.toolVersion,
    ...(first.gitCommit ? { gitCommit: first.gitCommit } : {}),
    modelHash: first.modelHash,
    points: first.points,
    cells,
  };
}

/** Reads one shard file, naming the file in any error. */
export function loadShard(path: string): ShardFile {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new UserInputError(`merge: cannot read ${path}: ${(error as Error).message}`);
  }
  const file = data as Partial<ShardFile>;
  if (!file || typeof file !== "object" || file.pkslabSweepShard !== SHARD_FORMAT) {
    throw new UserInputError(
      `merge: ${path} is not a shard file of this pkslab (write one with pkslab sweep --shard k/n --out FILE).`,
    );
  }
  if (
    !Array.isArray(file.cells) ||
    !Array.isArray(file.points) ||
    !file.shard ||
    typeof file.modelHash !== "string"
  ) {
    throw new UserInputError(`merge: ${path} is incomplete.`);
  }
  return file as ShardFile;
}
