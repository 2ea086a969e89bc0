/**
 * Helpers of the benchmark suite: a strategy instance on a fresh machine (without the
 * engine), and the peak resident memory of a child process.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { REGION_BASE_PFN } from "../core/engine/index.ts";
import { Vmalloc } from "../core/kernel/vmalloc.ts";
import { Cat } from "../core/ledger.ts";
import { Machine, type MachineConfig } from "../core/machine/index.ts";
import type { CostProfile } from "../core/profile.ts";
import type { ProtectedRegion, StrategyHooks, StrategyModule } from "../strategies/api.ts";
import { resolveStrategyOptions } from "../strategies/registry.ts";

/** A strategy set up on its own machine, with a contiguous protected region. */
export interface StrategyBench {
  readonly machine: Machine;
  readonly hooks: StrategyHooks;
  readonly region: ProtectedRegion;
}

/** Creates `strategy` on a fresh machine and protects a region of `pages` pages. */
export function strategyBench(
  strategy: StrategyModule,
  machineConfig: MachineConfig,
  profile: CostProfile,
  pages: number,
  keyMode: ProtectedRegion["keyMode"] = "access-disable",
): StrategyBench {
  const machine = new Machine(machineConfig, profile);
  const pfns = new Int32Array(pages);
  for (let i = 0; i < pages; i++) pfns[i] = REGION_BASE_PFN + i;
  const region: ProtectedRegion = { pfns, keyMode, contiguous: true };
  machine.watch(pfns);
  const costIds = new Map<string, number>();
  for (const [name, cost] of Object.entries(strategy.costs)) {
    const id = machine.ledger.registerParameter(name, `strategy:${strategy.name}`, {
      ...cost,
      range: cost.range ? [cost.range[0], cost.range[1]] : undefined,
    });
    costIds.set(name, id);
  }
  let vmalloc: Vmalloc | undefined;
  const hooks = strategy.create({
    machine,
    region,
    options: resolveStrategyOptions(strategy),
    vmalloc(options) {
      vmalloc ??= new Vmalloc(machine, options);
      return vmalloc;
    },
    charge(cpu, parameter, count = 1) {
      machine.ledger.charge(cpu, Cat.strategy, costIds.get(parameter) ?? 0, count);
    },
  });
  const setup = hooks.onSetup?.(region);
  if (setup && setup.kind === "unsupported") throw new Error(setup.reason);
  machine.beginWorkload();
  return { machine, hooks, region };
}

/** The most local scope a strategy supports. */
export function scopeOf(strategy: StrategyModule): "local" | "global" | "long-term" {
  if (strategy.supports.local) return "local";
  return strategy.supports.global ? "global" : "long-term";
}

const RSS_PROBE = fileURLToPath(new URL("./rss-probe.mjs", import.meta.url));

/** Runs a command (node with arguments) and returns wall time (ms), peak RSS (bytes), stdout. */
export function measureProcess(
  args: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
  timeoutMs?: number,
): { wallMs: number; peakRss: number; stdout: string; stderr: string; status: number | null } {
  const dir = mkdtempSync(join(tmpdir(), "pkslab-bench-"));
  const rssFile = join(dir, "rss");
  const start = performance.now();
  const child = spawnSync(process.execPath, ["--import", RSS_PROBE, ...args], {
    cwd,
    encoding: "utf8",
    maxBuffer: 1 << 28,
    ...(timeoutMs ? { timeout: timeoutMs, killSignal: "SIGKILL" as const } : {}),
    env: { ...process.env, ...env, PKSLAB_BENCH_RSS: rssFile },
  });
  const wallMs = performance.now() - start;
  let peakRss = Number.NaN;
  try {
    peakRss = Number(readFileSync(rssFile, "utf8")) * 1024;
  } catch {
    // The child did not get to exit normally.
  }
  rmSync(dir, { recursive: true, force: true });
  return { wallMs, peakRss, stdout: child.stdout, stderr: child.stderr, status: child.status };
}

/**
 * The busy share of the workers and of the main thread (time inside tasks over the runner's
 * wall time) from the `PKSLAB_RUNNER_STATS=1` lines of a run's stderr, summed over its runs:
 * the evidence, from time rather than from a loaded host's wall clock, that every thread
 * worked. Undefined when the run printed none.
 */
export function busyShares(stderr: string): { main: number; workers: number } | undefined {
  let wall = 0;
  let main = 0;
  let workers = 0;
  const line =
    /pkslab: runner: wall (\d+) ms; this thread busy (\d+) ms \(\d+ tasks\); workers busy (\d+) ms/g;
  for (const match of stderr.matchAll(line)) {
    wall += Number(match[1]);
    main += Number(match[2]);
    workers += Number(match[3]);
  }
  return wall > 0 ? { main: main / wall, workers: workers / wall } : undefined;
}

/** Environment of a run whose runner prints its threads' busy time (see busyShares). */
export const RUNNER_STATS = { PKSLAB_RUNNER_STATS: "1" } as const;

/** Median of a list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
