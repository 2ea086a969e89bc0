/**
 * `pkslab merge <shards...>`: combines the slices written by `pkslab sweep --shard k/n` (on
 * as many machines or batch jobs as wanted) into the outputs of the unsharded sweep: the
 * same report, the same per-point result files (--save-dir), the same numbers. Only
 * `context.run` (date, host, Node version) is the merge's own.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { UserInputError } from "../../core/errors.ts";
import { outputFormat } from "./compare.ts";
import { mergeFlagsSchema, parseFlags, SWEEP_REPORT_FORMATS } from "./flags.ts";
import {
  checkSweepFormat,
  combineShards,
  SHARD_FORMAT,
  type ShardFile,
  sweepDocuments,
  writeSweepOutputs,
} from "./sweep.ts";

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

/** Adds `pkslab merge` to the program. */
export function registerMergeCommand(program: Command): void {
  program
    .command("merge")
    .description(
      "combine the shard files of `pkslab sweep --shard k/n` into the unsharded sweep's report and point files",
    )
    .argument("<shards...>", "every shard file of one sweep (1/n to n/n, any order)")
    .option(
      "--format <format>",
      `report format: ${SWEEP_REPORT_FORMATS.join(", ")} (png: one file per chart in the --out directory; default: from --out's extension, else table)`,
    )
    .option("--out <file>", "write the report to a file (atomically) instead of stdout")
    .option("--save-dir <dir>", "also save each point's result JSON in this directory")
    .option("--no-date", "leave the run's date out of the JSON results (context.run)")
    .option(
      "--force-format",
      "write --format's format even into an --out file whose extension names another format",
    )
    .action((paths: string[], raw: unknown) =>
      mergeAction(paths, parseFlags(mergeFlagsSchema, raw)),
    );
}
