/**
 * The modules of a comparison: plugin files sorted into strategies and workloads, the
 * selection of modules by name or path, and the cost overrides (`--set profile.*` and a
 * strategy's costs) applied to the profile and the strategies.
 */

import { existsSync } from "node:fs";
import { UserInputError } from "../../core/errors.ts";
import { type Arch, machineParamName, parseMachineParam } from "../../core/machine/params.ts";
import { setOnCommandLine } from "../../core/profile.ts";
import { hasPluginExtension, loadPluginExport } from "../../core/registry.ts";
import type { StrategyModule } from "../../strategies/api.ts";
import { type ResolvedStrategy, resolveStrategies } from "../../strategies/registry.ts";
import { type ResolvedWorkload, resolveWorkloads } from "../../workloads/registry.ts";
import type { Assignment, CompareOptions } from "./config.ts";

/** Whether a plugin file default-exports a strategy or a workload (by its hooks). */
async function pluginKind(path: string): Promise<"strategy" | "workload"> {
  // A missing file or a wrong ending: the strategy loader names the problem.
  if (!existsSync(path) || !hasPluginExtension(path)) return "strategy";
  // Its kind is unknown until it loads, so the messages claim none.
  const exported = await loadPluginExport(
    path,
    "plugin",
    "defineStrategy({ ... })` or `export default defineWorkload({ ... })",
  );
  return exported !== null && typeof exported === "object" && "generate" in exported
    ? "workload"
    : "strategy";
}

/** Splits `--plugin` files into strategy plugins and workload plugins. */
export async function classifyPlugins(
  plugins: readonly string[],
): Promise<{ strategies: string[]; workloads: string[] }> {
  const strategies: string[] = [];
  const workloads: string[] = [];
  for (const path of plugins) {
    ((await pluginKind(path)) === "workload" ? workloads : strategies).push(path);
  }
  return { strategies, workloads };
}

/** The strategies and workloads a run selects: built-ins, --plugin files (sorted by kind) and paths. */
export async function selectModules(options: CompareOptions): Promise<{
  strategies: ResolvedStrategy[];
  workloads: ResolvedWorkload[];
}> {
  const plugins = await classifyPlugins(options.plugins);
  // The machine's architecture decides which architecture-specific built-ins the default
  // selection includes (a bad value is the usual --set machine error, exit 2).
  const archSet = options.assignments.filter(
    (assignment) =>
      assignment.target === "machine" && machineParamName(assignment.param) === "arch",
  );
  const arch =
    archSet.length > 0
      ? (parseMachineParam("arch", archSet[archSet.length - 1].value) as Arch)
      : "x86-64";
  const strategies = await resolveStrategies(options.strategies, plugins.strategies, arch);
  const workloads = await resolveWorkloads(options.workloads, plugins.workloads);
  return { strategies, workloads };
}

export function profileOverrides(assignments: readonly Assignment[]): Record<string, number> {
  const overrides: Record<string, number> = {};
  for (const { param, value } of assignments) {
    const number = typeof value === "number" ? value : Number(value);
    if (
      typeof value === "boolean" ||
      (typeof value === "string" && value.trim() === "") ||
      !Number.isFinite(number)
    ) {
      throw new UserInputError(`--set profile.${param}: "${String(value)}" is not a number.`);
    }
    overrides[param] = number;
  }
  return overrides;
}

/** A strategy whose declared cost parameters are replaced by `--set strategy.cost=V`. */
export function withCostOverrides(
  module: StrategyModule,
  overrides: Readonly<Record<string, number>>,
): StrategyModule {
  if (Object.keys(overrides).length === 0) return module;
  const costs = { ...module.costs };
  for (const [name, value] of Object.entries(overrides)) {
    const original = costs[name];
    if (!Number.isFinite(value) || value < 0) {
      throw new UserInputError(
        `--set ${module.name}.${name}: ${value} is not a finite non-negative number.`,
      );
    }
    costs[name] = setOnCommandLine(original, value, "declared value");
  }
  return { ...module, costs };
}
