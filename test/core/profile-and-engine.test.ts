import { describe, expect, it } from "vitest";
import { UserInputError } from "../../core/errors.ts";
import * as profiles from "../../core/profile.ts";
import { defineStrategy } from "../../strategies/api.ts";
import { dropKey, liftKeyHooks } from "../helpers/fixture-strategy.ts";
import { runWorkload, testWorkload } from "../helpers/sim.ts";

describe("cost profiles", () => {
  it("the default profile defines every required parameter with unit, source and confidence", () => {
    const profile = profiles.loadProfile();
    for (const name of profiles.REQUIRED_PARAMETERS) {
      const parameter = profile.parameters[name];
      expect(parameter, name).toBeDefined();
      expect(parameter.unit.length).toBeGreaterThan(0);
      expect(parameter.source.length).toBeGreaterThan(10);
    }
    expect(profile.parameters.wrmsr_pkrs_cycles.value).toBe(185);
    expect(profile.parameters.wrmsr_pkrs_cycles.confidence).toBe("verified");
    // The shootdown cost per target CPU has no primary figure: it is fitted to XPFO.
    expect(profile.parameters.ipi_per_target_cycles.fittedTo).toBeDefined();
    expect(profile.parameters.ipi_handler_cycles.confidence).not.toBe("verified");
  });

  it("refuses a profile missing a parameter, naming it", () => {
    const profile = profiles.loadProfile();
    const { wrmsr_pkrs_cycles: _dropped, ...rest } = profile.parameters;
    expect(() => profiles.parseProfile({ ...profile, parameters: rest }, "test.json")).toThrow(
      /missing parameter\(s\) wrmsr_pkrs_cycles/,
    );
  });

  it("suggests the nearest built-in name for an unknown profile", () => {
    expect(() => profiles.loadProfile("server-2021")).toThrow(UserInputError);
    expect(() => profiles.loadProfile("server-2021")).toThrow(/Did you mean "server-2022"/);
  });

  it("overrides mark the value unverified and keep the original source", () => {
    const profile = profiles.overrideProfile(profiles.loadProfile(), { wrmsr_pkrs_cycles: 100 });
    expect(profile.parameters.wrmsr_pkrs_cycles.value).toBe(100);
    expect(profile.parameters.wrmsr_pkrs_cycles.confidence).toBe("unverified");
    expect(profile.parameters.wrmsr_pkrs_cycles.source).toMatch(/BULKHEAD25/);
    expect(() => profiles.overrideProfile(profiles.loadProfile(), { wrmsr_pkr_cycles: 1 })).toThrow(
      /Did you mean/,
    );
  });
});

const toyPks = defineStrategy({
  name: "toy-pks",
  version: "0.0.0",
  summary: "test double: lift a key around each mapping",
  citation: "test",
  options: {},
  costs: {},
  supports: { local: true, global: false, longTerm: false },
  restoresProtection: true,
  create: (context) => ({
    ...liftKeyHooks(context),
    onUnmap: (request) => {
      dropKey(context, request.thread);
      return { kind: "ok", value: undefined };
    },
  }),
});

/** Map, write and unmap random pages; now and then yield. */
const toyWorkload = testWorkload("toy", {
  region: () => ({ pages: 256, keyMode: "access-disable", contiguous: true }),
  threads: (_params, cpus) => cpus * 2,
  *generate({ rng, thread }) {
    for (let i = 0; i < 300; i++) {
      const handle = thread * 1_000_000 + i;
      yield {
        kind: "map",
        handle,
        page: rng.int(0, 255),
        count: 1,
        intent: "write",
        scope: "local",
      };
      yield { kind: "access", handle, offset: rng.int(0, 4000), length: 64, write: true };
      yield { kind: "unmap", handle };
      if (rng.chance(0.1)) yield { kind: "yield" };
      yield { kind: "compute", cycles: 300, touches: 2 };
      yield { kind: "complete" };
    }
  },
});

const run = (seed: number) => runWorkload(toyPks, toyWorkload, { seed, strayEvery: 10 });

describe("engine", () => {
  it("identical seeds give identical ledgers and outcomes", () => {
    expect(JSON.stringify(run(7))).toBe(JSON.stringify(run(7)));
  });

  it("different seeds give different runs", () => {
    expect(JSON.stringify(run(7).metrics)).not.toBe(JSON.stringify(run(8).metrics));
  });

  it("ledger categories sum to the total, and PKRS writes are charged at the profile value", () => {
    const { metrics } = run(3);
    const categories = Object.entries(metrics)
      .filter(([name]) => name.startsWith("cost.cycles."))
      .reduce((sum, [, value]) => sum + value, 0);
    expect(categories).toBeCloseTo(metrics["cost.total_cycles"], 3);
    expect(metrics["cost.cycles.pkrs_write"]).toBeGreaterThanOrEqual(
      metrics["events.pkrs_writes"] * 185,
    );
    expect(metrics["run.operations"]).toBe(8 * 300);
  });

  it("a PKS strategy issues no shootdown after setup and blocks strays while no window is open", () => {
    const { metrics } = run(5);
    // Setup keys 256 pages (half a 2M leaf) inside a 1G leaf: split 1G→2M and 2M→4K, one
    // flush_tlb_all each, reported as setup; nothing flushes or splits afterwards.
    expect(metrics).toMatchObject({
      "setup.direct_map_splits": 2,
      "setup.shootdowns": 2,
      "events.direct_map_splits": 0,
      "events.shootdowns": 0,
      "events.ipis": 0,
      "coverage.window-same-cpu.blocked": 0,
    });
    for (const name of ["setup.cycles", "coverage.use-after-unmap.blocked"]) {
      expect(metrics[name], name).toBeGreaterThan(0);
    }
  });
});
