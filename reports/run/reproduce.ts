/** A comparison's reproduce line: the `npx pkslab compare` command that runs the same resolved configuration, lists wrapped in pieces at spaces. */

import type { OptionValues } from "../../strategies/api.ts";
import type { ResolvedConfig } from "../results/results.ts";

function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=,@+-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

function valueText(value: number | boolean | string): string {
  return String(value);
}

/** Longest comma list one flag of a reproduce line carries (lines then wrap at spaces). */
const LIST_WORD = 40;

/** `--flag a,b --flag c,d`: the list in pieces of at most LIST_WORD characters (flags join). */
export function pushList(words: string[], flag: string, names: readonly string[]): void {
  let piece = "";
  for (const name of names) {
    if (piece !== "" && piece.length + 1 + name.length > LIST_WORD) {
      words.push(flag, piece);
      piece = name;
    } else piece = piece === "" ? name : `${piece},${name}`;
  }
  if (piece !== "" || names.length === 0) words.push(flag, piece);
}

/** The `npx pkslab compare ...` command line that reruns a resolved configuration. */
export function reproduceCommand(
  config: ResolvedConfig,
  defaults: {
    strategyOptions: Readonly<Record<string, OptionValues>>;
    workloadParams: Readonly<Record<string, OptionValues>>;
    /** Machine fields that differ from their defaults (`--set machine.<field>=<value>`). */
    machine?: Readonly<Record<string, number | boolean | string>>;
  },
): string {
  const words = ["npx", "pkslab", "compare"];
  const plugins = [
    ...config.strategies.map((s) => s.source),
    ...config.workloads.map((w) => w.source),
  ].filter((source) => source !== "built-in");
  for (const plugin of plugins) words.push("--plugin", plugin);
  pushList(
    words,
    "--strategies",
    config.strategies.map((s) => s.name),
  );
  pushList(
    words,
    "--workloads",
    config.workloads.map((w) => w.name),
  );
  words.push("--cpus", String(config.machine.cpus));
  const seeds = config.seeds;
  words.push("--seeds", String(seeds.length), "--seed", String(seeds[0] ?? 1));
  words.push("--profile", config.profile);
  if (config.strayEvery !== null) words.push("--stray-every", String(config.strayEvery));
  words.push("--baseline", config.baseline);
  for (const workload of config.workloads) {
    const base = defaults.workloadParams[workload.name] ?? {};
    for (const [param, value] of Object.entries(workload.params)) {
      if (param === "stray_every" && config.strayEvery !== null) continue;
      if (base[param] !== value)
        words.push("--set", `${workload.name}.${param}=${valueText(value)}`);
    }
  }
  for (const strategy of config.strategies) {
    const base = defaults.strategyOptions[strategy.name] ?? {};
    for (const [option, value] of Object.entries(strategy.options)) {
      if (base[option] !== value)
        words.push("--set", `${strategy.name}.${option}=${valueText(value)}`);
    }
    for (const [cost, value] of Object.entries(strategy.costOverrides)) {
      words.push("--set", `${strategy.name}.${cost}=${value}`);
    }
  }
  for (const [param, value] of Object.entries(config.profileOverrides)) {
    words.push("--set", `profile.${param}=${value}`);
  }
  for (const [field, value] of Object.entries(defaults.machine ?? {})) {
    const text = field === "directMapLeaf" ? String(value).toUpperCase() : String(value);
    words.push("--set", `machine.${field}=${text}`);
  }
  return words.map(shellQuote).join(" ");
}
