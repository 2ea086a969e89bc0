import { describe, expect, it } from "vitest";
import { pkrsWith } from "../../core/machine/pkrs.ts";
import exampleSetMemoryRo from "../../examples/set-memory-ro.ts";
import { defineStrategy, type StrategyModule } from "../../strategies/api.ts";
import { checkPlugin, renderConformance } from "../../strategies/conformance/index.ts";
import { ARCH_STRATEGIES, BUILTIN_STRATEGIES } from "../../strategies/registry.ts";
import { spawnPkslab } from "../helpers/cli.ts";

const failed = (module: StrategyModule, options?: Record<string, unknown>) =>
  checkPlugin(module, { options }).checks.filter((check) => !check.passed);

describe("check-plugin conformance suite", () => {
  const modules: [string, StrategyModule, Record<string, unknown>?][] = [
    ...Object.entries(BUILTIN_STRATEGIES).map(
      ([name, module]) => [name, module] as [string, StrategyModule],
    ),
    [
      "pks-kmap strict, no cache",
      BUILTIN_STRATEGIES["pks-kmap"],
      { "fault-mode": "strict", "pkrs-cache": false },
    ],
    ["vmap-alias eager", BUILTIN_STRATEGIES["vmap-alias"], { flush: "eager" }],
    ["vmap-alias per-cpu-nodes", BUILTIN_STRATEGIES["vmap-alias"], { allocator: "per-cpu-nodes" }],
    [
      "kmap-local-range physical-only",
      BUILTIN_STRATEGIES["kmap-local-range"],
      { contiguity: "physical-only" },
    ],
    ["examples/set-memory-ro.ts", exampleSetMemoryRo],
  ];

  it.each(modules)("%s passes", (_label, module, options) => {
    const report = checkPlugin(module, { options });
    expect(report.passed, renderConformance(report)).toBe(true);
    expect(report.checks.length).toBeGreaterThanOrEqual(13);
  });
});

describe("check-plugin on another architecture", () => {
  it.each(Object.entries(ARCH_STRATEGIES))(
    "%s passes on its own architecture, with each kunmap choice",
    (_name, { module, arch }) => {
      const choices = module.options.kunmap?.choices ?? [undefined];
      for (const kunmap of choices) {
        const options = kunmap === undefined ? undefined : { kunmap };
        const report = checkPlugin(module, { arch, options });
        expect(report.passed, renderConformance(report)).toBe(true);
      }
      // On x86-64 it has no setup to check: the suite says so instead of passing.
      const elsewhere = checkPlugin(module);
      expect(elsewhere.checks.find((check) => !check.passed)?.name).toBe(
        "setup protects the region",
      );
    },
  );

  it("the CLI's --arch reaches the worker; an unknown one exits 2 with the valid choices", () => {
    const file = "strategies/kmap-as-protection.ts";
    const there = spawnPkslab(["check-plugin", file, "--arch", "x86-32-highmem", "--json"]);
    expect(there.code, there.stderr).toBe(0);
    expect(JSON.parse(there.stdout).passed).toBe(true);
    const here = spawnPkslab(["check-plugin", file, "--json"]);
    expect(here.code).toBe(1);
    const bad = spawnPkslab(["check-plugin", file, "--arch", "arm64"]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toContain("x86-32-highmem");
  });
});

describe("check-plugin on device memory", () => {
  it("fails a strategy whose device-memory setup leaves the range unprotected", () => {
    const base = BUILTIN_STRATEGIES["pks-kmap"];
    const lax = defineStrategy({
      ...base,
      name: "lax-device",
      create(context) {
        const hooks = base.create(context);
        return {
          ...hooks,
          onSetup(region) {
            // Claims device memory set up without putting the key on it.
            if (region.device) return { kind: "ok", value: undefined };
            return hooks.onSetup?.(region) ?? { kind: "ok", value: undefined };
          },
        };
      },
    });
    const report = checkPlugin(lax);
    const setup = report.checks.find((check) => check.name === "setup protects the region");
    expect(setup?.passed).toBe(false);
    expect(setup?.detail).toContain("device memory");
    expect(checkPlugin(base).passed).toBe(true);
  });
});

/** A strategy built to be wrong in one chosen way; otherwise a PKS lift per mapping. */
function broken(
  name: string,
  flaw: {
    restore?: boolean;
    perCpuCount?: boolean;
    chargeUndeclared?: boolean;
    writeLedger?: boolean;
    throwOnGlobal?: boolean;
    claimGlobal?: boolean;
  },
): StrategyModule {
  return defineStrategy({
    name,
    version: "0.0.1",
    summary: "deliberately broken test double",
    citation: "test",
    options: {},
    costs: {},
    supports: { local: true, global: flaw.claimGlobal ?? false, longTerm: false },
    restoresProtection: true,
    create({ machine, charge }) {
      const KEY = 3;
      const counts = new Map<unknown, number>();
      return {
        onSetup(region) {
          machine.enablePks(pkrsWith(0, KEY, "ad") | pkrsWith(0, 1, "ad"));
          for (const pfn of region.pfns) machine.changeDirectMap(0, pfn, 1, { key: KEY });
          return { kind: "ok", value: undefined };
        },
        onMap({ cpu, thread, pfns, scope }) {
          if (scope === "global" && flaw.throwOnGlobal) throw new Error("no global mappings here");
          if (scope !== "local" && !flaw.claimGlobal)
            return { kind: "unsupported", reason: "local only" };
          if (flaw.chargeUndeclared) charge(cpu, "secret_sauce_cycles");
          if (flaw.writeLedger) machine.ledger.cycles[0] += 1000;
          const owner = flaw.perCpuCount ? cpu : thread;
          const count = counts.get(owner) ?? 0;
          counts.set(owner, count + 1);
          if (count === 0) machine.setThreadPkrs(thread, pkrsWith(thread.pkrs, KEY, "rw"));
          return { kind: "ok", value: { vpns: [...pfns], contiguous: false } };
        },
        onUnmap({ cpu, thread }) {
          const owner = flaw.perCpuCount ? cpu : thread;
          const count = (counts.get(owner) ?? 1) - 1;
          counts.set(owner, count);
          if (count === 0 && flaw.restore !== false)
            machine.setThreadPkrs(thread, pkrsWith(thread.pkrs, KEY, "ad"));
          return { kind: "ok", value: undefined };
        },
      };
    },
  });
}

describe("check-plugin catches broken strategies, naming the hook and operation", () => {
  it("the test double itself passes", () => {
    expect(failed(broken("sound", {}))).toEqual([]);
  });

  it("protection not restored after unmap", () => {
    const checks = failed(broken("never-restores", { restore: false }));
    const restore = checks.find((check) => check.name === "protection is back after unmap");
    expect(restore?.detail).toMatch(
      /after onMap\(local, write, region pages 0\).*unmapped: direct-map write/,
    );
  });

  it("a per-CPU nesting count (rejected in v10 review) breaks another thread's mapping after a switch", () => {
    const checks = failed(broken("per-cpu-count", { perCpuCount: true }));
    const switched = checks.find((check) => check.name === "state survives context switch");
    expect(switched?.detail).toMatch(
      /by thread \d+.*by another thread while the first holds its mapping: write .* faulted \(pkey\)/,
    );
  });

  it("an undeclared cost parameter", () => {
    const checks = failed(broken("undeclared", { chargeUndeclared: true }));
    const costs = checks.find((check) => check.name === "every cycle is charged by the model");
    expect(costs?.detail).toMatch(
      /onMap\(local.*charged undeclared cost parameter "secret_sauce_cycles"/,
    );
  });

  it("cycles written into the ledger directly", () => {
    const checks = failed(broken("ledger-writer", { writeLedger: true }));
    const costs = checks.find((check) => check.name === "every cycle is charged by the model");
    expect(costs?.detail).toMatch(/come from no named parameter/);
  });

  it("a hook that throws instead of answering unsupported", () => {
    const checks = failed(broken("thrower", { throwOnGlobal: true }));
    const global = checks.find(
      (check) => check.name === "legitimate accesses never fault (global)",
    );
    expect(global?.detail).toMatch(
      /onMap\(global, write, region pages 0\) on CPU 0 by thread \d+: onMap threw: no global mappings here/,
    );
  });

  it("claiming a scope whose accesses fault (kmap() under PKS from another CPU)", () => {
    const checks = failed(broken("over-claims", { claimGlobal: true }));
    const global = checks.find(
      (check) => check.name === "legitimate accesses never fault (global)",
    );
    expect(global?.detail).toMatch(
      /from another CPU: read of page 0 through vpn \d+ on CPU 1 faulted \(pkey\)/,
    );
  });

  it("a malformed module fails the shape check with the problem named", () => {
    const report = checkPlugin({ ...broken("x", {}), name: "Not Kebab" });
    expect(report.passed).toBe(false);
    expect(report.checks[0].detail).toMatch(/name: must be kebab-case/);
    const badOption = checkPlugin(BUILTIN_STRATEGIES["vmap-alias"], {
      options: { flsuh: "eager" },
    });
    expect(badOption.checks[0].detail).toMatch(/Did you mean "flush"/);
  });

  it("an alias that reaches the wrong page", () => {
    const wrong = defineStrategy({
      ...broken("wrong-page", {}),
      restoresProtection: false,
      create: () => ({
        onMap: ({ pfns }) => ({
          kind: "ok",
          value: { vpns: pfns.map((pfn) => pfn + 1), contiguous: false },
        }),
      }),
    });
    const local = failed(wrong).find(
      (check) => check.name === "legitimate accesses never fault (local)",
    );
    expect(local?.detail).toMatch(/reached pfn \d+, not \d+/);
  });
});
