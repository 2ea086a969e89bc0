/**
 * One simulation run from a test: a small machine, the default profile, seed 1, and what
 * the test states on top; and `scripted`, a workload whose threads run fixed operation
 * lists, for tests of one mechanism.
 */
import { type RunResult, type RunSpec, runSimulation } from "../../core/engine/index.ts";
import { DEFAULT_MACHINE, type MachineConfig } from "../../core/machine/index.ts";
import { loadProfile } from "../../core/profile.ts";
import type { StrategyModule } from "../../strategies/api.ts";
import unprotected from "../../strategies/unprotected.ts";
import {
  defineWorkload,
  type Operation,
  type RegionSpec,
  type WorkloadModule,
} from "../../workloads/api.ts";
import { resolveWorkloadParams } from "../../workloads/registry.ts";

/** The machine of the tests: 4 CPUs, 4 GiB, the defaults otherwise. */
export const SMALL_MACHINE: MachineConfig = { ...DEFAULT_MACHINE, cpus: 4, memoryGiB: 4 };

/** What a test may state of a run beyond the strategy and the workload. */
export interface RunOptions extends Partial<Omit<RunSpec, "machine" | "strategy" | "workload">> {
  /** Fields of the machine over SMALL_MACHINE. */
  readonly machine?: Partial<MachineConfig>;
}

/**
 * Runs `workload` under `strategy` on SMALL_MACHINE with the default profile and seed 1;
 * the strategy's options and the workload's parameters as given (none by default: the
 * engine resolves the options, the workload's own defaults are not applied), anything else
 * of RunSpec as stated.
 */
export function runWorkload(
  strategy: StrategyModule,
  workload: WorkloadModule,
  options: RunOptions = {},
): RunResult {
  const { machine, ...rest } = options;
  return runSimulation({
    machine: { ...SMALL_MACHINE, ...machine },
    profile: loadProfile(),
    strategy,
    strategyOptions: {},
    workload,
    workloadParams: {},
    seed: 1,
    ...rest,
  });
}

/** `run` with the workload's parameters resolved from `given` as the CLI resolves them. */
export function simulate(
  strategy: StrategyModule,
  workload: WorkloadModule,
  given: Record<string, unknown> = {},
  options: RunOptions = {},
): RunResult {
  return runWorkload(strategy, workload, {
    ...options,
    workloadParams: resolveWorkloadParams(workload, given),
  });
}

/** What a test workload states: its region, its threads and their streams (no parameters). */
export type TestWorkloadFields = Pick<
  WorkloadModule<Record<never, never>>,
  "region" | "threads" | "generate"
>;

/** A workload of a test: `fields` say what it does, the rest of its metadata is a test's. */
export function testWorkload(name: string, fields: TestWorkloadFields): WorkloadModule {
  return defineWorkload({
    name,
    version: "0.0.0",
    summary: "test workload",
    citation: "test",
    params: {},
    ...fields,
  });
}

/**
 * A workload whose thread i runs `lists[i]`, on a contiguous region (256 pages,
 * access-disable, unless `region` says otherwise).
 */
export function scripted(
  lists: readonly (readonly Operation[])[],
  region: Partial<RegionSpec> = {},
): WorkloadModule {
  return testWorkload("scripted", {
    region: () => ({ pages: 256, keyMode: "access-disable", contiguous: true, ...region }),
    threads: () => lists.length,
    *generate({ thread }) {
      yield* lists[thread];
    },
  });
}

/** What `runScript` takes: a run's options, the strategy (unprotected) and the region. */
export interface ScriptOptions extends RunOptions {
  readonly strategy?: StrategyModule;
  readonly region?: Partial<RegionSpec>;
}

/**
 * Runs fixed operation lists (thread i: `lists[i]`) with the model's invariants checked and
 * no stray accesses, under unprotected unless `strategy` says otherwise.
 */
export function runScript(
  lists: readonly (readonly Operation[])[],
  options: ScriptOptions = {},
): RunResult {
  const { strategy = unprotected, region, ...rest } = options;
  return runWorkload(strategy, scripted(lists, region), {
    workloadParams: { stray_every: 0 },
    strayEvery: 0,
    checkInvariants: true,
    ...rest,
  });
}
