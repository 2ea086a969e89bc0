/**
 * `pkslab check-plugin <file>`: the conformance kit on a strategy plugin, run in a worker
 * under the limits of compare's plugin cells (a hook that never returns is stopped and
 * named); a workload plugin is checked for its shape and parameters.
 */
import type { Arch } from "../../core/machine/params.ts";
import { loadProfile } from "../../core/profile.ts";
import { type ConformanceReport, renderConformance } from "../../strategies/conformance/index.ts";
import { loadStrategyPlugin } from "../../strategies/registry.ts";
import { loadWorkloadPlugin, workloadMetadata } from "../../workloads/registry.ts";
import { runCheckInWorker } from "../run/check.ts";
import { cellMemoryOf, cellTimeoutOf } from "../run/limits.ts";
import { classifyPlugins } from "../run/modules.ts";

/** What check-plugin says about every plugin: it is code run with the user's privileges. */
export const PLUGIN_PRIVILEGES =
  "Note: a plugin is ordinary JavaScript run with your privileges, not in a sandbox. Its code can read and write every file you can, start processes, use the network and read your environment variables. pkslab's worker threads and built-in checks keep a broken plugin from taking a run down; they do not keep a hostile one from doing harm. Run only plugins you have read or trust.";

/** Flags of `pkslab check-plugin`. */
export interface CheckPluginFlags {
  readonly json?: boolean;
  /** The cost profile to check with (a name or a file; default the built-in default). */
  readonly profile?: string;
  /** Architecture of the checked machine (default x86-64). */
  readonly arch?: Arch;
  readonly cellTimeout?: number;
  readonly cellMemory?: number;
}

/** Checks one plugin file and prints the report; exit code 1 when a check fails. */
export async function checkPluginAction(file: string, options: CheckPluginFlags): Promise<void> {
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
  const progress = process.stderr.isTTY
    ? (seconds: number) => process.stderr.write(`\rchecking ${module.name}: ${seconds} s`)
    : undefined;
  const outcome = await runCheckInWorker(
    file,
    module.name,
    options.profile ? loadProfile(options.profile) : undefined,
    options.arch,
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
          checks: [{ name: "finishes within the limits", passed: false, detail: outcome.failure }],
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
}
