/**
 * Property-based tests (fast-check, fixed seeds, modest run counts): random small
 * configurations and random operation streams keep the model's invariants, and the same
 * configuration and seed give a byte-identical result document apart from `context.run`.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildResults } from "../../reports/results/results.ts";
import { type CompareOptions, DEFAULT_BASELINE } from "../../reports/run/config.ts";
import { resolveComparison, runResolved } from "../../reports/run/plan.ts";
import type { OptionSpec, OptionValues, Scope, StrategyModule } from "../../strategies/api.ts";
import { BUILTIN_STRATEGIES } from "../../strategies/registry.ts";
import type { Operation } from "../../workloads/api.ts";
import { BUILTIN_WORKLOADS } from "../../workloads/registry.ts";
import { runWorkload, simulate, testWorkload } from "../helpers/sim.ts";
import { SIZE_PARAM } from "../workloads/helpers.ts";

const STRATEGY_NAMES = Object.keys(BUILTIN_STRATEGIES) as (keyof typeof BUILTIN_STRATEGIES)[];
const WORKLOAD_NAMES = Object.keys(BUILTIN_WORKLOADS) as (keyof typeof BUILTIN_WORKLOADS)[];

/** A random valid value of one option: a choice, a boolean, or a number within its bounds. */
function optionValue(spec: OptionSpec): fc.Arbitrary<number | boolean | string> {
  if (typeof spec.default === "boolean") return fc.boolean();
  if (typeof spec.default === "string")
    return spec.choices ? fc.constantFrom(...spec.choices) : fc.constant(spec.default);
  const low = spec.min ?? 0;
  // Keep numbers near the default so that runs stay small.
  const high = Math.min(spec.max ?? low + 64, Math.max(low, spec.default) * 2 + 1);
  return Number.isInteger(spec.default) && Number.isInteger(low)
    ? fc.integer({ min: Math.ceil(low), max: Math.max(Math.ceil(low), Math.floor(high)) })
    : fc.double({ min: low, max: Math.max(low, high), noNaN: true });
}

function strategyOptions(module: StrategyModule): fc.Arbitrary<OptionValues> {
  const entries = Object.entries(module.options);
  return fc
    .tuple(...entries.map(([, spec]) => optionValue(spec)))
    .map((values) => Object.fromEntries(entries.map(([name], i) => [name, values[i]])));
}

const configArbitrary = fc
  .record({
    cpus: fc.integer({ min: 1, max: 8 }),
    strategy: fc.constantFrom(...STRATEGY_NAMES),
    workload: fc.constantFrom(...WORKLOAD_NAMES),
    seed: fc.integer({ min: 0, max: 1_000_000 }),
    strayEvery: fc.constantFrom(0, 5, 20),
  })
  .chain((base) =>
    strategyOptions(BUILTIN_STRATEGIES[base.strategy]).map((options) => ({ ...base, options })),
  );

describe("properties: random small configurations keep every invariant", () => {
  it("no violations with checkInvariants on (cpus 1-8, any built-in strategy and options, any workload)", () => {
    fc.assert(
      fc.property(configArbitrary, (config) => {
        const [param, value] = SIZE_PARAM[config.workload];
        const result = simulate(
          BUILTIN_STRATEGIES[config.strategy],
          BUILTIN_WORKLOADS[config.workload],
          { [param]: Math.min(Number(value), 6), stray_every: config.strayEvery },
          {
            machine: { cpus: config.cpus },
            strategyOptions: config.options,
            seed: config.seed,
            checkInvariants: true,
          },
        );
        expect(result.violations, JSON.stringify(config)).toEqual([]);
        // A run fails only as a model verdict (the kernel would oops), never by breaking.
        if (result.status === "failed") expect(result.served.oopses).toBeGreaterThan(0);
      }),
      { seed: 20260101, numRuns: 60 },
    );
  });
});

describe("properties: determinism", () => {
  it("the same configuration and seed give a byte-identical result document apart from context.run", async () => {
    const render = async (config: fc.Arbitrary<never> | Record<string, unknown>, run: number) => {
      const c = config as { cpus: number; strategy: string; workload: string; seed: number };
      const [param, value] = SIZE_PARAM[c.workload as keyof typeof BUILTIN_WORKLOADS];
      const options: CompareOptions = {
        strategies: [DEFAULT_BASELINE, c.strategy].filter((s, i, all) => all.indexOf(s) === i),
        workloads: [c.workload],
        plugins: [],
        cpus: c.cpus,
        seeds: 2,
        seed: c.seed,
        assignments: [{ target: c.workload, param, value: Math.min(Number(value), 6) }],
        jobs: 1,
        metrics: [],
        check: true,
      };
      const comparison = await resolveComparison(options);
      const doc = buildResults(
        {
          toolVersion: "0.0.0-test",
          config: comparison.config,
          profile: comparison.profile,
          strategies: comparison.strategies.map((s) => s.module),
          reproduce: comparison.reproduce,
          run: { date: new Date(run).toISOString(), host: `host-${run}`, node: "v0" },
        },
        runResolved(comparison),
      );
      return JSON.stringify({ ...doc, context: { ...doc.context, run: null } }, null, 2);
    };
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          cpus: fc.integer({ min: 1, max: 8 }),
          strategy: fc.constantFrom(...STRATEGY_NAMES),
          workload: fc.constantFrom(...WORKLOAD_NAMES),
          seed: fc.integer({ min: 0, max: 1_000_000 }),
        }),
        async (config) => {
          const first = await render(config, 0);
          const second = await render(config, 86_400_000);
          expect(second).toBe(first);
        },
      ),
      { seed: 20260102, numRuns: 8 },
    );
  });
});

/** One step of a random stream; the interpreter below turns steps into a valid operation stream. */
type Step =
  | { kind: "map"; page: number; count: number; write: boolean; scope: Scope }
  | { kind: "access"; back: number; offset: number; write: boolean }
  | { kind: "unmap" }
  | { kind: "yield" }
  | { kind: "migrate"; cpu: number }
  | { kind: "compute" };

const REGION_PAGES = 32;
const MAX_NESTING = 15;

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant("map" as const),
    page: fc.integer({ min: 0, max: REGION_PAGES - 1 }),
    count: fc.integer({ min: 1, max: 4 }),
    write: fc.boolean(),
    scope: fc.constantFrom<Scope>("local", "local", "global", "long-term"),
  }),
  fc.record({
    kind: fc.constant("access" as const),
    back: fc.nat(8),
    offset: fc.nat(4 * 4096),
    write: fc.boolean(),
  }),
  fc.constant({ kind: "unmap" as const }),
  fc.constant({ kind: "yield" as const }),
  fc.record({ kind: fc.constant("migrate" as const), cpu: fc.nat(7) }),
  fc.constant({ kind: "compute" as const }),
);

/** Turns random steps into operations obeying the API's rules (LIFO unmaps, accesses in bounds). */
function interpret(steps: readonly Step[], thread: number, cpus: number): Operation[] {
  const ops: Operation[] = [];
  const held: { handle: number; count: number; write: boolean }[] = [];
  let next = 0;
  for (const step of steps) {
    if (step.kind === "map") {
      if (held.length >= MAX_NESTING) continue;
      const count = Math.min(step.count, REGION_PAGES - step.page);
      const handle = thread * 1_000_000 + next++;
      held.push({ handle, count, write: step.write });
      ops.push({
        kind: "map",
        handle,
        page: step.page,
        count,
        intent: step.write ? "write" : "read",
        scope: step.scope,
      });
    } else if (step.kind === "access") {
      if (held.length === 0) continue;
      const mapping = held[Math.max(0, held.length - 1 - (step.back % held.length))];
      const length = 64;
      const offset = step.offset % (mapping.count * 4096 - length);
      ops.push({
        kind: "access",
        handle: mapping.handle,
        offset,
        length,
        write: mapping.write && step.write,
      });
    } else if (step.kind === "unmap") {
      const top = held.pop();
      if (top) ops.push({ kind: "unmap", handle: top.handle });
    } else if (step.kind === "yield") ops.push({ kind: "yield" });
    else if (step.kind === "migrate") ops.push({ kind: "migrate", cpu: step.cpu % cpus });
    else ops.push({ kind: "compute", cycles: 200, touches: 1 });
    ops.push({ kind: "complete" });
  }
  while (held.length > 0)
    ops.push({ kind: "unmap", handle: (held.pop() as { handle: number }).handle });
  ops.push({ kind: "complete" });
  return ops;
}

describe("properties: random operation streams against every built-in strategy", () => {
  it("keep every invariant (LIFO map/access/unmap/yield/migrate, 1-3 threads)", () => {
    let accesses = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.array(stepArbitrary, { maxLength: 40 }), { minLength: 1, maxLength: 3 }),
        fc.constantFrom(...STRATEGY_NAMES),
        fc.boolean(),
        fc.integer({ min: 0, max: 1000 }),
        (cpus, streams, strategyName, contiguous, seed) => {
          const workload = testWorkload("random-stream", {
            region: () => ({ pages: REGION_PAGES, keyMode: "access-disable", contiguous }),
            threads: () => streams.length,
            *generate({ thread, cpus: online }) {
              yield* interpret(streams[thread], thread, online);
            },
          });
          const result = runWorkload(BUILTIN_STRATEGIES[strategyName], workload, {
            machine: { cpus },
            seed,
            strayEvery: 4,
            checkInvariants: true,
          });
          expect(result.status, result.reason).not.toBe("failed");
          expect(result.violations, `${strategyName} ${JSON.stringify(streams)}`).toEqual([]);
          accesses += result.metrics["events.accesses"] ?? 0;
        },
      ),
      { seed: 20260103, numRuns: 150 },
    );
    // The streams did reach the model (not all empty or refused).
    expect(accesses).toBeGreaterThan(0);
  });
});
