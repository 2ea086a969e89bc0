/**
 * The commander wiring of the commands that run comparisons: `compare`, `sweep` (both take
 * the run options of {@link addRunOptions}) and `merge` (a sharded sweep's slices). Their
 * logic is in reports/commands/.
 */
import type { Command } from "commander";
import type { z } from "zod";
import { DEFAULT_OPERATION_BUDGET } from "../../core/engine/index.ts";
import { DEFAULT_MACHINE } from "../../core/machine/index.ts";
import { DEFAULT_PROFILE } from "../../core/profile.ts";
import { compareAction } from "../commands/compare.ts";
import { mergeAction } from "../commands/merge.ts";
import { type SweepFlags, sweepAction } from "../commands/sweep.ts";
import { EMAIL_STYLES, EXTRA_METRICS } from "../render/common.ts";
import { DEFAULT_BASE_SEED, DEFAULT_BASELINE, DEFAULT_SEEDS, splitList } from "../run/config.ts";
import { collect } from "../run/flag-schema.ts";
import { DEFAULT_CELL_MEMORY_MB, DEFAULT_CELL_TIMEOUT_SECONDS } from "../run/limits.ts";
import { AUTO_PARALLEL_SEED_RUNS } from "../run/pool.ts";
import {
  COMPARE_FORMATS,
  type CompareFlagValues,
  compareFlagsSchema,
  mergeFlagsSchema,
  parseFlags,
  runFlagsSchema,
  SWEEP_REPORT_FORMATS,
  sweepFlagsSchema,
  validateOptionsHook,
} from "./flags.ts";

/**
 * Repeated comma-list flags join into one list, names already given once dropped (so a
 * long reproduce line can carry a list in pieces and wrap at spaces).
 */
function joinLists(value: string, previous: string | undefined): string {
  if (previous === undefined) return value;
  const seen = new Set(splitList(previous));
  const added = splitList(value).filter((name) => !seen.has(name));
  return added.length === 0 ? previous : `${previous},${added.join(",")}`;
}

/**
 * The options shared by compare and sweep: what to run, on what machine, with what costs.
 * A hook validates them (and any other option `schema` names) before the action runs.
 */
function addRunOptions(command: Command, schema: z.ZodObject = runFlagsSchema): Command {
  return command
    .hook("preAction", validateOptionsHook(schema))
    .option(
      "--strategies <list>",
      "comma list of strategy names or plugin paths (default: all; repeatable, the lists join)",
      joinLists,
    )
    .option(
      "--workloads <list>",
      "comma list of workload names or plugin paths (default: all; repeatable, the lists join)",
      joinLists,
    )
    .option("--plugin <file>", "load a strategy or workload plugin (repeatable)", collect)
    .option("--cpus <n>", `online CPUs of the machine (default ${DEFAULT_MACHINE.cpus})`)
    .option("--seeds <n>", `seeds per cell (default ${DEFAULT_SEEDS})`)
    .option("--seed <s>", `first seed (default ${DEFAULT_BASE_SEED})`)
    .option(
      "--stray-every <n>",
      "mean operations between injected stray accesses for every workload; 0 injects none, so the coverage columns stay empty (default: each workload's stray_every)",
    )
    .option("--profile <name|file>", `cost profile (default ${DEFAULT_PROFILE})`)
    .option(
      "--set <target.param=value>",
      "set a workload parameter, a strategy option or cost, or profile.<parameter> (repeatable)",
      collect,
    )
    .option(
      "--baseline <strategy>",
      `strategy the others are compared with (default ${DEFAULT_BASELINE})`,
    )
    .option(
      "--config <file>",
      "JSON or TypeScript file (default export) with the same fields (flags override it)",
    )
    .option(
      "--jobs <n>",
      `threads that run cells: this one and n - 1 workers (default: every core for runs of ${AUTO_PARALLEL_SEED_RUNS} or more seed runs, cells x seeds; else 1); results do not depend on it`,
    )
    .option(
      "--check",
      "run the model's invariant checker after each run; a cell that breaks one fails (exit 1)",
    )
    .option(
      "--cell-timeout <seconds>",
      `wall-clock limit of a cell that runs plugin code; such cells run in worker threads, and one past the limit is stopped and fails (default ${DEFAULT_CELL_TIMEOUT_SECONDS}; 0: no limit)`,
    )
    .option(
      "--cell-memory <MB>",
      `heap limit of the worker threads that run plugin cells; a plugin cell past it is stopped and fails alone (default ${DEFAULT_CELL_MEMORY_MB}; 0: no limit)`,
    )
    .option(
      "--operation-budget <n>",
      `most workload operations per run; a plugin that loops past it fails its cells (default ${DEFAULT_OPERATION_BUDGET})`,
    );
}

/**
 * The report options of compare and sweep: `--format` (described by `formatHelp`), `--out`,
 * `--force-format` and `--no-date`.
 */
function addReportOptions(command: Command, formatHelp: string): Command {
  return command
    .option("--format <format>", formatHelp)
    .option("--out <file>", "write the report to a file (atomically) instead of stdout")
    .option(
      "--force-format",
      "write --format's format even into an --out file whose extension names another format",
    )
    .option(
      "--no-date",
      "leave the run's date out of the JSON result (context.run), so that two runs of one configuration give byte-identical files",
    );
}

/** Adds `compare`, `sweep` and `merge` to the program. `toolVersion` is echoed into results. */
export function registerRunCommands(program: Command, toolVersion: string): void {
  addReportOptions(
    addRunOptions(
      program
        .command("compare")
        .description(
          "run strategies x workloads over seeds on the machine model and report the comparison (default: every built-in strategy on every built-in workload)",
        ),
      compareFlagsSchema,
    ),
    `report format: ${COMPARE_FORMATS.join(", ")} (default: from --out's extension, else table); png writes every chart as a PNG file into the --out directory`,
  )
    .option("--from <results.json>", "re-render a saved JSON result instead of running")
    .option(
      "--census <census.json>",
      "add the adoption table (kernel call sites each strategy must change) from `pkslab census --format json`",
    )
    .option(
      "--sensitivity",
      "also run the comparison with every unverified or derived cost at the ends of its range and report whether each workload's ranking of strategies changes (slow: one comparison per variant)",
    )
    .option(
      "--style <style>",
      `email layout: ${EMAIL_STYLES.join(" or ")} (mmtests blocks, the default, or the LKP robot's %change lines)`,
    )
    .option(
      "--metrics <list>",
      `metric columns after cycles/op (comma list of metric names; default: ${EXTRA_METRICS.map((m) => m.long).join(", ")})`,
    )
    // The hook of addRunOptions has parsed every flag with compareFlagsSchema.
    .action((flags: CompareFlagValues) => compareAction(flags, toolVersion));

  addReportOptions(
    addRunOptions(
      program
        .command("sweep")
        .description(
          "repeat the comparison while one or two parameters take lists of values (two: every combination), and report how the chosen metrics move",
        )
        .option(
          "--param <target.param=values>",
          "a swept parameter and its values: a list (pmem-dax.pages=64,256,1024, cpus=1,2,4,8) or a range (1..64:x2, 0..100:+25); cpus sweeps the machine's CPU count; give it twice to sweep the grid of two parameters",
          collect,
        )
        .option("--vary <target.param=values>", "same as --param (repeatable)", collect),
      sweepFlagsSchema,
    )
      .option(
        "--metric <list>",
        "metric(s) to report, comma list (default cost.cycles_per_op; main: the comparison report's columns); a table and a chart per metric",
      )
      .option("--save-dir <dir>", "also save each point's result JSON in this directory")
      .option("--shard <k/n>", "run slice k of n only and write it as a shard file (pkslab merge)"),
    `report format: ${SWEEP_REPORT_FORMATS.join(", ")} (default: from --out's extension, else table); json holds every point's result; png writes every chart as a PNG file into the --out directory`,
  ).action((flags: SweepFlags) => sweepAction(flags, toolVersion));
}

/** Adds `merge` to the program (listed last, after the analyses). */
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
