/**
 * `pkslab list` and `pkslab describe <name>`: the strategy and workload catalogs (built-ins
 * and plugin files), one entry's options, parameters, costs and citation, or the machine's
 * parameters.
 */
import { unknownChoiceError } from "../../core/errors.ts";
import { DEFAULT_MACHINE, resolveMachineConfig } from "../../core/machine/index.ts";
import { describeMachine, machineParamRows } from "../../core/machine/params.ts";
import { DEFAULT_PROFILE, loadProfile } from "../../core/profile.ts";
import { describeStrategy, strategyCatalog, strategyMetadata } from "../../strategies/registry.ts";
import {
  describeWorkload,
  EXPERIMENT_WORKLOADS,
  workloadCatalog,
  workloadMetadata,
} from "../../workloads/registry.ts";
import { classifyPlugins } from "../run/modules.ts";

/** Flags of `pkslab list` and `pkslab describe`. */
export interface CatalogFlags {
  readonly plugin?: readonly string[];
  readonly json?: boolean;
  readonly profile?: string;
}

/** The strategy and workload catalogs, with the given plugin files. */
async function catalogs(plugins: readonly string[]) {
  const split = await classifyPlugins(plugins);
  return {
    strategies: await strategyCatalog(split.strategies),
    workloads: await workloadCatalog(split.workloads),
  };
}

/** `pkslab list`: every strategy and workload, one line each (or JSON). */
export async function listAction(options: CatalogFlags): Promise<void> {
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
}

/** `pkslab describe <name>`: one strategy or workload, or `machine`. */
export async function describeAction(name: string, options: CatalogFlags): Promise<void> {
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
}
