import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CellResult, ComparisonPlan } from "../../core/compare.ts";
import { loadProfile, overrideProfile } from "../../core/profile.ts";
import { runTracedSpec } from "../../reports/analyses/claims/claims-trace-run.ts";
import { claimResults } from "../../reports/analyses/claims/decide.ts";
import { claimsPlan, defaultClaimsConfig } from "../../reports/analyses/claims/evaluate.ts";
import { LSFMM_CLAIMS } from "../../reports/analyses/claims/lsfmm.ts";
import { applyVariant, runCellSpec } from "../../reports/analyses/claims/plan.ts";
import {
  type CellRequest,
  planRequests,
  RunCache,
  specOf,
} from "../../reports/analyses/claims/run-cache.ts";
import { traceParameters } from "../../reports/analyses/claims/trace.ts";
import { sweepVariants, sweptParameters } from "../../reports/analyses/claims/variants.ts";
import { runTasks } from "../../reports/run/pool.ts";
import { taskModule } from "../../reports/run/tasks.ts";

/**
 * The run cache hands out a cell without running it in two cases: the same spec ran
 * before, or the spec differs from a traced base cell only in profile parameters that
 * the base run never used. Both must give exactly what a fresh run gives.
 */
const plan = claimsPlan(LSFMM_CLAIMS, defaultClaimsConfig());

const TRACE_RUN = taskModule(
  new URL("../../reports/analyses/claims/run-cache.ts", import.meta.url).href,
  "claims-trace-run",
);

const requests = (p: ComparisonPlan): CellRequest[] => planRequests(p);

/** A fresh run of a request, outside any cache. */
const fresh = (request: CellRequest): CellResult =>
  runCellSpec(specOf(request), request.workload.module, request.strategy.module);

describe("run cache: shared and cached cells equal re-runs", () => {
  it("every cell of every sweep variant that the cache shares with a base cell equals its re-run, bit for bit", async () => {
    const cache = new RunCache();
    const base = requests(plan);
    const baseCells = await cache.cells(base, 1, { trace: true });
    expect(baseCells).toStrictEqual(base.map(fresh));
    let shared = 0;
    let notShared = 0;
    for (const variant of sweepVariants(
      plan.profile,
      plan.strategies.map((s) => s.module),
    )) {
      for (const request of requests(applyVariant(plan, variant))) {
        const cell = cache.sharedCell(request);
        if (cell === undefined) notShared++;
        else {
          shared++;
          expect(cell).toStrictEqual(fresh(request));
        }
      }
    }
    // The check is not vacuous: many cells are shared, and many are not.
    expect(shared).toBeGreaterThan(100);
    expect(notShared).toBeGreaterThan(100);
  }, 300_000);

  it("claims' setup shootdowns: shared across variants, equal to a fresh computation for every variant and workload", () => {
    const cache = new RunCache();
    const workloads = plan.workloads.map((w) => w.module.name);
    const setups = (p: ComparisonPlan, shared?: RunCache) => {
      const results = claimResults(p, [], shared);
      return workloads.map((w) => results.setupShootdowns(w, "pks-kmap"));
    };
    expect(setups(plan, cache)).toEqual(setups(plan));
    for (const variant of sweepVariants(
      plan.profile,
      plan.strategies.map((s) => s.module),
    )) {
      const varied = applyVariant(plan, variant);
      expect(setups(varied, cache), variant.label).toEqual(setups(varied));
    }
    // The workloads' setups differ, so a key that lost the workload or its parameters
    // fails here. No variant of the default sweep changes a setup's number, so sharing
    // with a profile that moved a parameter the setup read is the next test's to catch.
    expect(new Set(setups(plan)).size).toBeGreaterThan(1);
  }, 120_000);

  it("a profile value is computed again only for a profile that moves a parameter it read", () => {
    const cache = new RunCache();
    const base = loadProfile("server-2022");
    let computed = 0;
    const compute = (profile: typeof base) => {
      computed++;
      return profile.parameters.wrmsr_pkrs_cycles.value * 2;
    };
    expect(cache.profileValue("k", base, compute)).toBe(
      base.parameters.wrmsr_pkrs_cycles.value * 2,
    );
    const unread = overrideProfile(base, { invlpg_cycles: 999 });
    expect(cache.profileValue("k", unread, compute)).toBe(
      base.parameters.wrmsr_pkrs_cycles.value * 2,
    );
    expect(computed).toBe(1);
    const read = overrideProfile(base, { wrmsr_pkrs_cycles: 7 });
    expect(cache.profileValue("k", read, compute)).toBe(14);
    expect(computed).toBe(2);
    // Another key is another computation.
    cache.profileValue("other", unread, compute);
    expect(computed).toBe(3);
  });

  it("a traced cell run in a worker thread gives this thread's cell and used parameters", async () => {
    const specs = requests(plan)
      .filter((_, index) => index % 10 === 0)
      .map(specOf);
    // Isolated tasks run only in a worker, so this is the worker's trace, whatever the timing.
    const inWorker = await runTasks(
      specs.map((input) => ({
        task: { kind: "module" as const, module: TRACE_RUN, input },
        timedOut: () => undefined,
        broken: (error: unknown) => {
          throw error;
        },
      })),
      { jobs: 1 },
    );
    const here = specs.map(runTracedSpec);
    expect(inWorker).toStrictEqual(here);
    // Not vacuous: the runs used parameters, and not all the same ones.
    expect(here.every((traced) => traced.used.length > 0)).toBe(true);
    expect(new Set(here.map((traced) => traced.used.join())).size).toBeGreaterThan(1);
  }, 120_000);

  it("a cell whose profile changes in parameters it used runs again; one asked twice runs once", async () => {
    const cache = new RunCache();
    const [first] = requests(plan);
    await cache.cells([first], 1, { trace: true });
    const changed = {
      ...first,
      profile: overrideProfile(first.profile, { data_access_cycles: 9 }),
    };
    const [again] = await cache.cells([changed, changed], 1);
    expect(cache.counts).toEqual({ requested: 3, ran: 2, shared: 0 });
    expect(again).toStrictEqual(fresh(changed));
    expect(again).not.toStrictEqual(fresh(first));
  });

  it("a random set of swept parameters at random values in range: the cached cell equals a fresh run", async () => {
    const profile = loadProfile();
    const names = sweptParameters(profile);
    const base = requests(plan);
    const cache = new RunCache();
    await cache.cells(base, 1, { trace: true });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: base.length - 1 }),
        fc.uniqueArray(fc.constantFrom(...names), { minLength: 1, maxLength: 4 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (cell, chosen, at) => {
          const changes = Object.fromEntries(
            chosen.map((name) => {
              const [low, high] = profile.parameters[name].range ?? [0, 0];
              const value = low + (high - low) * at;
              return [
                name,
                Number.isInteger(low) && Number.isInteger(high) ? Math.round(value) : value,
              ];
            }),
          );
          const request = { ...base[cell], profile: overrideProfile(profile, changes) };
          const [cached] = await cache.cells([request], 1);
          expect(cached).toStrictEqual(fresh(request));
        },
      ),
      { numRuns: 25, seed: 19 },
    );
  }, 120_000);
});

describe("trace: which profile parameters a run used", () => {
  it("records the charged and the read parameters, not the ones the run never touched", () => {
    const request = requests(plan)[0];
    const { result, used } = traceParameters(request.profile, (profile) =>
      fresh({ ...request, profile }),
    );
    expect(result).toStrictEqual(fresh(request));
    // Charged on every access, and read to size the TLB.
    expect(used.has("data_access_cycles")).toBe(true);
    expect(used.has("stlb_entries")).toBe(true);
    // Not every parameter: the trace is what makes sharing possible at all.
    expect(used.size).toBeLessThan(Object.keys(request.profile.parameters).length);
  });
});
