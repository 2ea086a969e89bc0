/**
 * `pkslab merge <shards...>`: combines the slices written by `pkslab sweep --shard k/n` (on
 * as many machines or batch jobs as wanted) into the outputs of the unsharded sweep: the
 * same report, the same per-point result files (--save-dir), the same numbers. Only
 * `context.run` (date, host, Node version) is the merge's own.
 */

import { outputFormat } from "./output.ts";
import { combineShards, loadShard } from "./shards.ts";
import { sweepDocuments, writeSweepOutputs } from "./sweep.ts";
import { checkSweepFormat } from "./sweep-grid.ts";

/** Flags of `pkslab merge`. */
export interface MergeFlags {
  readonly format?: string;
  readonly out?: string;
  readonly saveDir?: string;
  readonly forceFormat?: boolean;
  readonly date?: boolean;
}

/** Merges shard files and writes the sweep's report and point files. */
export async function mergeAction(paths: readonly string[], flags: MergeFlags): Promise<void> {
  const format = outputFormat(flags.format, flags.out, flags.forceFormat);
  checkSweepFormat(format);
  const merged = combineShards(paths.map(loadShard));
  await writeSweepOutputs(
    merged.parameters,
    merged.metrics,
    sweepDocuments(
      merged.toolVersion,
      merged.gitCommit,
      merged.points,
      merged.cells,
      merged.modelHash,
      flags.date !== false,
    ),
    format,
    flags.out,
    flags.saveDir,
  );
}
