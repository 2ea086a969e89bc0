/**
 * `pkslab replay <trace>`: replays a captured ftrace text trace of the btrfs extent-buffer
 * accessors (scripts/capture/capture.sh, docs/traces.md) through every strategy, under
 * each mapping granularity.
 *
 *   pkslab replay <trace> [--mapping per-call,per-search] [--strategies a,b]
 *                 [--format table|markdown|json] [--out <file>] [--cpus N] [--seed N]
 *                 [--set held_buffers=3] [--profile name|file] [--check] [--jobs N]
 */
import type { Command } from "commander";
import { z } from "zod";
import { writeFileAtomic } from "../../../core/atomic-write.ts";
import { UserInputError } from "../../../core/errors.ts";
import { DEFAULT_PROFILE, loadProfile } from "../../../core/profile.ts";
import { resolveStrategies } from "../../../strategies/registry.ts";
import { readTraceFile } from "../../../workloads/trace/parse.ts";
import {
  REPLAY_MAPPINGS,
  type ReplayMapping,
  traceThreads,
} from "../../../workloads/trace/replay.ts";
import {
  choice,
  choiceList,
  collect,
  existingFile,
  flag,
  nameList,
  outPath,
  parseFlags,
  reject,
  splitList,
  text,
  wholeNumber,
} from "../../run/flag-schema.ts";
import {
  REPLAY_FORMATS,
  type ReplayFormat,
  renderReplay,
  replayProvenance,
  runReplay,
} from "./replay.ts";

export { REPLAY_FORMATS, renderReplay, runReplay } from "./replay.ts";

export interface ReplayCommandOptions {
  mapping: string;
  strategies?: string;
  format: string;
  out?: string;
  cpus?: string;
  seed: string;
  set?: string[];
  profile?: string;
  check?: boolean;
  jobs?: string;
}

/** `--set NAME=VALUE` of the replay workload (a number where the value reads as one). */
function replayParameter() {
  return z.string().transform((raw, ctx): [string, number | string] => {
    const eq = raw.indexOf("=");
    if (eq <= 0) return reject(ctx, { value: raw, problem: "expected NAME=VALUE" });
    const name = raw.slice(0, eq).trim();
    if (name === "mapping")
      return reject(ctx, { value: raw, problem: "use --mapping to choose the mapping" });
    const text = raw.slice(eq + 1).trim();
    const value = Number(text);
    return [name, text !== "" && Number.isFinite(value) ? value : text];
  });
}

/** The flags (and the trace argument) of `pkslab replay`. */
export const replayFlagsSchema = z.object({
  trace: existingFile(),
  mapping: choiceList("mapping", REPLAY_MAPPINGS),
  strategies: nameList("strategy names").optional(),
  format: choice("format", REPLAY_FORMATS),
  out: outPath().optional(),
  cpus: wholeNumber(1).optional(),
  seed: wholeNumber(0),
  set: z.array(replayParameter()).optional(),
  profile: text().optional(),
  check: flag().optional(),
  jobs: wholeNumber(1).optional(),
});

/** Checks the options; returns the validated values or throws UserInputError. */
export function validateReplayOptions(
  trace: string,
  options: ReplayCommandOptions,
): {
  trace: string;
  mappings: ReplayMapping[];
  strategies: string[];
  format: ReplayFormat;
  out: string | undefined;
  cpus: number | undefined;
  seed: number;
  params: Record<string, number | string>;
  jobs: number | undefined;
} {
  const flags = parseFlags(replayFlagsSchema, { ...options, trace }, { trace: "trace" });
  return {
    trace: flags.trace,
    mappings: flags.mapping,
    strategies: splitList(flags.strategies),
    format: flags.format,
    out: flags.out,
    cpus: flags.cpus,
    seed: flags.seed,
    params: Object.fromEntries(flags.set ?? []),
    jobs: flags.jobs,
  };
}

/** Runs the command: parse (streaming), replay, render. Progress goes to stderr. */
export async function replayAction(trace: string, options: ReplayCommandOptions): Promise<void> {
  const valid = validateReplayOptions(trace, options);
  const strategies = (await resolveStrategies(valid.strategies)).map((entry) => entry.module);
  const profile = loadProfile(options.profile ?? DEFAULT_PROFILE);
  const started = performance.now();
  const data = await readTraceFile(valid.trace);
  const parsed = performance.now();
  if (data.stats.calls === 0) {
    throw new UserInputError(
      `trace ${trace}: no extent-buffer accessor calls in ${data.stats.lines} line(s) (${data.stats.badLines} not recognised); expected the ftrace text of scripts/capture/capture.sh (trace.txt).`,
    );
  }
  if (valid.cpus !== undefined && valid.cpus < traceThreads(data)) {
    throw new UserInputError(
      `--cpus ${valid.cpus}: the trace has events on CPU ${traceThreads(data) - 1}; use at least ${traceThreads(data)}.`,
    );
  }
  process.stderr.write(
    `replay: parsed ${data.stats.lines} lines (${data.stats.calls} calls, ${data.stats.badLines} bad) in ${((parsed - started) / 1000).toFixed(1)} s\n`,
  );
  if (data.stats.lostEvents > 0) {
    process.stderr.write(
      `replay: warning: the trace lost ${data.stats.lostEvents} events; statistics undercount\n`,
    );
  }
  const result = await runReplay(data, {
    strategies,
    mappings: valid.mappings,
    profile,
    cpus: valid.cpus,
    seed: valid.seed,
    params: valid.params,
    checkInvariants: options.check === true,
    ...(valid.jobs !== undefined ? { jobs: valid.jobs } : {}),
  });
  process.stderr.write(
    `replay: ${result.cells.length} runs in ${((performance.now() - parsed) / 1000).toFixed(1)} s\n`,
  );
  const text = renderReplay(
    result,
    valid.format,
    replayProvenance(result, valid.format, { profile: options.profile ?? DEFAULT_PROFILE }),
  );
  if (valid.out) {
    writeFileAtomic(valid.out, text);
    process.stderr.write(`replay: wrote ${valid.out}\n`);
  } else {
    process.stdout.write(text);
  }
}

/** Adds the `replay` subcommand to the main program. */
export function registerReplayCommand(program: Command): void {
  program
    .command("replay")
    .description(
      "Replay a captured ftrace trace of the btrfs extent-buffer accessors (scripts/capture/capture.sh) " +
        "through every strategy, per-call and per-search, with the trace's own statistics.",
    )
    .argument("<trace>", "ftrace text file (the capture's trace.txt)")
    .option(
      "--mapping <list>",
      `mapping granularities: ${REPLAY_MAPPINGS.join(", ")}`,
      REPLAY_MAPPINGS.join(","),
    )
    .option("--strategies <list>", "comma-separated strategies (default: every built-in)")
    .option("--format <format>", `output format: ${REPLAY_FORMATS.join(", ")}`, "table")
    .option("--out <file>", "write the output to this file (atomically) instead of stdout")
    .option("--cpus <n>", "online CPUs of the model (default: the trace's CPU count)")
    .option("--seed <n>", "run seed (strays, compute touches)", "1")
    .option(
      "--set <name=value>",
      "replay workload parameter: held_buffers, call_cycles, stray_every, stray_mix (repeatable)",
      collect,
    )
    .option("--profile <name|file>", "cost profile", DEFAULT_PROFILE)
    .option("--check", "run the model's invariant checker")
    .option(
      "--jobs <n>",
      "threads that run the cells (strategy x mapping, each the whole trace): this one and n - 1 workers (default every core when calls x cells reach 1,000,000, else 1); results do not depend on it",
    )
    .action(replayAction);
}
