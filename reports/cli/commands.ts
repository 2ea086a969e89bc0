import type { Command } from "commander";
import type { z } from "zod";
import { DEFAULT_OPERATION_BUDGET } from "../../core/engine.ts";
import { unknownChoiceError } from "../../core/errors.ts";
import { DEFAULT_MACHINE, resolveMachineConfig } from "../../core/machine/index.ts";
import { describeMachine, machineParamRows } from "../../core/machine/params.ts";
import { DEFAULT_PROFILE, loadProfile } from "../../core/profile.ts";
import { type ConformanceReport, renderConformance } from "../../strategies/conformance/index.ts";
import {
  describeStrategy,
  loadStrategyPlugin,
  strategyCatalog,
  strategyMetadata,
} from "../../strategies/registry.ts";
import {
  describeWorkload,
  EXPERIMENT_WORKLOADS,
  loadWorkloadPlugin,
  workloadCatalog,
  workloadMetadata,
} from "../../workloads/registry.ts";
import { registerCensusCommand } from "../census/command.ts";
import { registerClaimsCommand } from "../claims/command.ts";
import { EMAIL_STYLES, EXTRA_METRICS, metricsByName } from "../render/common.ts";
import { renderDiff } from "../render/diff.ts";
import { machinesModel, renderMachines } from "../render/machines.ts";
import { registerReplayCommand } from "../replay/command.ts";
import { loadResults } from "../results.ts";
import { runCheckInWorker } from "../run/check.ts";
import { DEFAULT_BASE_SEED, DEFAULT_BASELINE, DEFAULT_SEEDS, splitList } from "../run/config.ts";
import {
  cellMemoryOf,
  cellTimeoutOf,
  DEFAULT_CELL_MEMORY_MB,
  DEFAULT_CELL_TIMEOUT_SECONDS,
} from "../run/limits.ts";
import { classifyPlugins } from "../run/plan.ts";
import { AUTO_PARALLEL_SEED_RUNS } from "../run/pool.ts";
import { registerValidateCommand } from "../validate/command.ts";
import { compareAction, emit } from "./compare.ts";
import {
  COMPARE_FORMATS,
  type CompareFlagValues,
  catalogFlagsSchema,
  checkPluginFlagsSchema,
  compareFlagsSchema,
  diffFlagsSchema,
  machinesFlagsSchema,
  parseFlags,
  profileFlagsSchema,
  runFlagsSchema,
  SWEEP_REPORT_FORMATS,
  sweepFlagsSchema,
  validateOptionsHook,
} from "./flags.ts";
import { registerMergeCommand } from "./merge.ts";
import { renderProfile } from "./profile-view.ts";
import { type SweepFlags, sweepAction } from "./sweep.ts";

/** What check-plugin says about every plugin: it is code run with the user's privileges. */
export const PLUGIN_PRIVILEGES =
  "Note: a plugin is ordinary JavaScript run with your privileges, not in a sandbox. Its code can read and write every file you can, start processes, use the network and read your environment variables. pkslab's worker threads and built-in checks keep a broken plugin from taking a run down; they do not keep a hostile one from doing harm. Run only plugins you have read or trust.";

const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

/** The strategy and workload catalogs, with the given plugin files. */
async function catalogs(plugins: readonly string[]) {
  const split = await classifyPlugins(plugins);
  return {
    strategies: await strategyCatalog(split.strategies),
    workloads: await workloadCatalog(split.workloads),
  };
}

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

/** Adds every subcommand to the program. `toolVersion` is echoed into results. */
export function registerCommands(program: Command, toolVersion: string): void {
  addRunOptions(
    program
      .command("compare")
      .description(
        "run strategies x workloads over seeds on the machine model and report the comparison (default: every built-in strategy on every built-in workload)",
      ),
    compareFlagsSchema,
  )
    .option(
      "--format <format>",
      `report format: ${COMPARE_FORMATS.join(", ")} (default: from --out's extension, else table); png writes every chart as a PNG file into the --out directory`,
    )
    .option("--out <file>", "write the report to a file (atomically) instead of stdout")
    .option(
      "--force-format",
      "write --format's format even into an --out file whose extension names another format",
    )
    .option(
      "--no-date",
      "leave the run's date out of the JSON result (context.run), so that two runs of one configuration give byte-identical files",
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
    .option("--shard <k/n>", "run slice k of n only and write it as a shard file (pkslab merge)")
    .option(
      "--format <format>",
      `report format: ${SWEEP_REPORT_FORMATS.join(", ")} (default: from --out's extension, else table); json holds every point's result; png writes every chart as a PNG file into the --out directory`,
    )
    .option("--out <file>", "write the report to a file (atomically) instead of stdout")
    .option(
      "--force-format",
      "write --format's format even into an --out file whose extension names another format",
    )
    .option(
      "--no-date",
      "leave the run's date out of the JSON result (context.run), so that two runs of one configuration give byte-identical files",
    )
    .action((flags: SweepFlags) => sweepAction(flags, toolVersion));

  program
    .command("list")
    .description("list the strategies and workloads (built-ins and --plugin files)")
    .option("--plugin <file>", "also load this plugin (repeatable)", collect)
    .option("--json", "machine-readable output")
    .action(async (raw: unknown) => {
      const options = parseFlags(catalogFlagsSchema, raw);
      const { strategies, workloads } = await catalogs(options.plugin ?? []);
      if (options.json) {
        const data = {
          strategies: strategies.map((s) => strategyMetadata(s.module, s.source)),
          workloads: workloads.map((w) => workloadMetadata(w.module, w.source)),
        };
        process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
        return;
      }
      const width = Math.max(
        ...strategies.map((s) => s.module.name.length),
        ...workloads.map((w) => w.module.name.length),
      );
      const line = (name: string, version: string, summary: string, source: string) =>
        `  ${name.padEnd(width)}  ${version.padEnd(7)} ${summary}${source === "built-in" ? "" : ` [${source}]`}\n`;
      let out = "strategies:\n";
      for (const { module, source } of strategies)
        out += line(module.name, module.version, module.summary, source);
      out += "\nworkloads:\n";
      for (const { module, source } of workloads) {
        const optIn = source === "built-in" && EXPERIMENT_WORKLOADS.has(module.name);
        out += line(
          module.name,
          module.version,
          module.summary,
          optIn ? "runs only when named" : source,
        );
      }
      out +=
        "\n`pkslab describe <name>` shows options, parameters and citations; `pkslab describe machine` the machine's parameters.\n";
      process.stdout.write(out);
    });

  program
    .command("describe")
    .description(
      "options, parameters, costs and citation of one strategy or workload, or `machine`: every machine parameter with unit, default and source",
    )
    .argument("<name>", "a strategy or workload name, or machine")
    .option("--plugin <file>", "also load this plugin (repeatable)", collect)
    .option(
      "--profile <name|file>",
      "with `describe machine`: the profile whose TLB geometry is the default",
    )
    .option("--json", "machine-readable output")
    .action(async (name: string, raw: unknown) => {
      const options = parseFlags(catalogFlagsSchema, raw);
      if (name === "machine") {
        const profile = loadProfile(options.profile ?? DEFAULT_PROFILE);
        const rows = machineParamRows(resolveMachineConfig(DEFAULT_MACHINE, profile), profile);
        process.stdout.write(
          options.json
            ? `${JSON.stringify({ kind: "machine", profile: profile.name, params: rows }, null, 2)}\n`
            : describeMachine(rows, profile.name),
        );
        return;
      }
      const { strategies, workloads } = await catalogs(options.plugin ?? []);
      const strategy = strategies.find((s) => s.module.name === name);
      const workload = workloads.find((w) => w.module.name === name);
      if (strategy) {
        process.stdout.write(
          options.json
            ? `${JSON.stringify({ kind: "strategy", ...strategyMetadata(strategy.module, strategy.source) }, null, 2)}\n`
            : describeStrategy(strategy.module, strategy.source),
        );
      } else if (workload) {
        process.stdout.write(
          options.json
            ? `${JSON.stringify({ kind: "workload", ...workloadMetadata(workload.module, workload.source) }, null, 2)}\n`
            : describeWorkload(workload.module, workload.source),
        );
      } else {
        throw unknownChoiceError("strategy or workload", name, [
          ...strategies.map((s) => s.module.name),
          ...workloads.map((w) => w.module.name),
        ]);
      }
    });

  program
    .command("check-plugin")
    .description("run the conformance suite on a strategy plugin (exit 1 if a check fails)")
    .argument(
      "<file>",
      "the plugin file (.ts or .js, default-exporting defineStrategy/defineWorkload)",
    )
    .option("--json", "machine-readable output")
    .option("--profile <name|file>", `cost profile to check with (default ${DEFAULT_PROFILE})`)
    .option(
      "--cell-timeout <seconds>",
      `wall-clock limit of the suite, which runs in a worker thread; past it the worker is stopped and the check fails naming the hook (default ${DEFAULT_CELL_TIMEOUT_SECONDS}; 0: no limit)`,
    )
    .option(
      "--cell-memory <MB>",
      `heap limit of the worker thread that runs the suite (default ${DEFAULT_CELL_MEMORY_MB}; 0: no limit)`,
    )
    .action(async (file: string, raw: unknown) => {
      const options = parseFlags(checkPluginFlagsSchema, raw);
      const { workloads } = await classifyPlugins([file]);
      if (workloads.length > 0) {
        // Workloads have no conformance suite beyond loading and validating their shape.
        const module = await loadWorkloadPlugin(file);
        const meta = workloadMetadata(module, file);
        process.stdout.write(
          options.json
            ? `${JSON.stringify({ kind: "workload", name: meta.name, passed: true, checks: [{ name: "module shape and parameters", passed: true, detail: "ok" }] }, null, 2)}\n`
            : `check-plugin ${meta.name}: PASS (workload: module shape and parameters are valid)\n`,
        );
        return;
      }
      const module = await loadStrategyPlugin(file);
      // In a worker, under the limits of compare's plugin cells: a hook that never returns
      // is stopped and named instead of hanging the command.
      const progress = process.stderr.isTTY
        ? (seconds: number) => process.stderr.write(`\rchecking ${module.name}: ${seconds} s`)
        : undefined;
      const outcome = await runCheckInWorker(
        file,
        module.name,
        options.profile ? loadProfile(options.profile) : undefined,
        cellTimeoutOf(options.cellTimeout, undefined),
        cellMemoryOf(options.cellMemory, undefined),
        progress,
      );
      if (progress) process.stderr.write("\r\x1b[K");
      const report: ConformanceReport =
        "report" in outcome
          ? outcome.report
          : {
              strategy: outcome.strategy,
              passed: false,
              checks: [
                { name: "finishes within the limits", passed: false, detail: outcome.failure },
              ],
            };
      if ("failure" in outcome) {
        process.stderr.write(`pkslab: check-plugin ${outcome.strategy}: ${outcome.failure}\n`);
      }
      process.stdout.write(
        options.json
          ? `${JSON.stringify(report, null, 2)}\n`
          : `${renderConformance(report)}\n${PLUGIN_PRIVILEGES}\n`,
      );
      if (!report.passed) process.exitCode = 1;
    });

  program
    .command("diff")
    .description("compare two saved JSON results (compare --format json) without re-running")
    .argument("<a>", "the first result file (the reference)")
    .argument("<b>", "the second result file")
    .option("--out <file>", "write the report to a file (atomically)")
    .option(
      "--metrics <list>",
      "metrics to compare (comma list; default: the report's main metrics)",
    )
    .action((a: string, b: string, raw: unknown) => {
      const options = parseFlags(diffFlagsSchema, raw);
      const docA = loadResults(a);
      const docB = loadResults(b);
      const names = splitList(options.metrics);
      const metrics = names.length > 0 ? metricsByName(docB, names) : undefined;
      emit(renderDiff(docA, docB, metrics), options.out);
    });

  program
    .command("machines")
    .description(
      "cross-machine section from two saved JSON results: per workload the best x86-64 design, the best x86-32-highmem design and the capability design (cost and coverage), and which workloads change winner",
    )
    .argument("<x86>", "an x86-64 result (compare --plugin examples/capability.ts --format json)")
    .argument(
      "<highmem>",
      "an x86-32-highmem result (compare --set machine.arch=x86-32-highmem --format json)",
    )
    .option("--out <file>", "write the report to a file (atomically)")
    .option("--capability <name>", "name of the capability strategy", "capability")
    .action((x86: string, highmem: string, raw: unknown) => {
      const options = parseFlags(machinesFlagsSchema, raw);
      const model = machinesModel(loadResults(x86), loadResults(highmem), options.capability);
      emit(renderMachines(model), options.out);
    });

  program
    .command("profile")
    .description("print the cost profile: every parameter with value, unit, source and confidence")
    .option("--profile <name|file>", "cost profile", DEFAULT_PROFILE)
    .option("--json", "machine-readable output")
    .action((raw: unknown) => {
      const options = parseFlags(profileFlagsSchema, raw);
      const profile = loadProfile(options.profile);
      process.stdout.write(
        options.json ? `${JSON.stringify(profile, null, 2)}\n` : renderProfile(profile),
      );
    });

  registerCensusCommand(program);
  registerValidateCommand(program);
  registerClaimsCommand(program);
  registerReplayCommand(program);
  registerMergeCommand(program);
}
