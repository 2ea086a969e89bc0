/**
 * The commander wiring of the commands that describe or re-read rather than run: `list`,
 * `describe`, `check-plugin`, `diff`, `machines` and `profile`. Their logic is in
 * reports/commands/ (catalog.ts, check-plugin.ts, saved.ts).
 */
import type { Command } from "commander";
import { ARCHS } from "../../core/machine/params.ts";
import { DEFAULT_PROFILE } from "../../core/profile.ts";
import { describeAction, listAction } from "../commands/catalog.ts";
import { checkPluginAction } from "../commands/check-plugin.ts";
import { diffAction, machinesAction, profileAction } from "../commands/saved.ts";
import { collect } from "../run/flag-schema.ts";
import { DEFAULT_CELL_MEMORY_MB, DEFAULT_CELL_TIMEOUT_SECONDS } from "../run/limits.ts";
import {
  catalogFlagsSchema,
  checkPluginFlagsSchema,
  diffFlagsSchema,
  machinesFlagsSchema,
  parseFlags,
  profileFlagsSchema,
} from "./flags.ts";

/** Adds `list`, `describe`, `check-plugin`, `diff`, `machines` and `profile` to the program. */
export function registerInfoCommands(program: Command): void {
  program
    .command("list")
    .description("list the strategies and workloads (built-ins and --plugin files)")
    .option("--plugin <file>", "also load this plugin (repeatable)", collect)
    .option("--json", "machine-readable output")
    .action((raw: unknown) => listAction(parseFlags(catalogFlagsSchema, raw)));

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
    .action((name: string, raw: unknown) =>
      describeAction(name, parseFlags(catalogFlagsSchema, raw)),
    );

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
      "--arch <arch>",
      `architecture of the checked machine: ${ARCHS.join(", ")} (default x86-64; a strategy that exists only on another one is checked there)`,
    )
    .option(
      "--cell-timeout <seconds>",
      `wall-clock limit of the suite, which runs in a worker thread; past it the worker is stopped and the check fails naming the hook (default ${DEFAULT_CELL_TIMEOUT_SECONDS}; 0: no limit)`,
    )
    .option(
      "--cell-memory <MB>",
      `heap limit of the worker thread that runs the suite (default ${DEFAULT_CELL_MEMORY_MB}; 0: no limit)`,
    )
    .action((file: string, raw: unknown) =>
      checkPluginAction(file, parseFlags(checkPluginFlagsSchema, raw)),
    );

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
    .action((a: string, b: string, raw: unknown) =>
      diffAction(a, b, parseFlags(diffFlagsSchema, raw)),
    );

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
    .action((x86: string, highmem: string, raw: unknown) =>
      machinesAction(x86, highmem, parseFlags(machinesFlagsSchema, raw)),
    );

  program
    .command("profile")
    .description("print the cost profile: every parameter with value, unit, source and confidence")
    .option("--profile <name|file>", "cost profile", DEFAULT_PROFILE)
    .option("--json", "machine-readable output")
    .action((raw: unknown) => profileAction(parseFlags(profileFlagsSchema, raw)));
}
