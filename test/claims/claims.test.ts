/**
 * The LSFMM claims: each claim's predicate on synthetic results (one test per claim, the
 * first block), then `pkslab claims` on the model, then user claims files and
 * sensitivity. Over 400 lines because the first block is one short test per claim.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { overrideProfile } from "../../core/profile.ts";
import {
  CLAIM_WORKLOADS,
  type Claim,
  type ClaimResults,
} from "../../reports/analyses/claims/claims.ts";
import { claimResults, runClaimCells } from "../../reports/analyses/claims/decide.ts";
import {
  type ClaimsReport,
  claimsPlan,
  defaultClaimsConfig,
  evaluateClaims,
} from "../../reports/analyses/claims/evaluate.ts";
import { LSFMM_CLAIMS } from "../../reports/analyses/claims/lsfmm.ts";
import { renderClaims } from "../../reports/analyses/claims/render.ts";
import { renderSensitivity, sensitivity } from "../../reports/analyses/claims/sensitivity.ts";
import { jsonClaim, loadClaimsFile } from "../../reports/analyses/claims/user.ts";
import { sweepVariants } from "../../reports/analyses/claims/variants.ts";
import { tempFile } from "../helpers/tmp.ts";

/** Synthetic results: every listed cell ok with the given metrics. */
function fake(
  cells: Record<string, Record<string, number>>,
  options: { workloads?: readonly string[]; status?: Record<string, string> } = {},
): ClaimResults {
  return {
    workloads: options.workloads ?? CLAIM_WORKLOADS,
    cell(workload, strategy) {
      const key = `${workload}|${strategy}`;
      const metrics = cells[key];
      if (!metrics) return undefined;
      return { status: options.status?.[key] ?? "ok", metrics };
    },
    setupShootdowns: () => 1,
  };
}

const claim = (id: string) => {
  const found = LSFMM_CLAIMS.find((c) => c.id === id);
  if (!found) throw new Error(id);
  return found;
};

function everywhere(strategy: string, metrics: Record<string, number>) {
  return Object.fromEntries(CLAIM_WORKLOADS.map((w) => [`${w}|${strategy}`, metrics]));
}

describe("each LSFMM claim's predicate, on synthetic results", () => {
  it("1 pks-no-flush: supported with no kmap-path shootdown, whatever pks-kmap costs", () => {
    const good = fake(
      everywhere("pks-kmap", { "events.shootdowns": 1, "cost.cycles_per_op": 100_000 }),
    );
    expect(claim("pks-no-flush").decide(good).verdict).toBe("supported");
    const flushing = fake({
      ...everywhere("pks-kmap", { "events.shootdowns": 1 }),
      "pmem-dax|pks-kmap": { "events.shootdowns": 5 },
    });
    const decision = claim("pks-no-flush").decide(flushing);
    expect(decision.verdict).toBe("refuted");
    expect(decision.evidence.join(" ")).toContain("pmem-dax: pks-kmap issued 4 shootdowns");
    // A cell that is not ok is not counted, and the evidence names its status and reason.
    for (const status of ["unsupported", "error", "failed"]) {
      const shaky = fake(
        {
          ...everywhere("pks-kmap", { "events.shootdowns": 1 }),
          "pmem-dax|pks-kmap": { "events.shootdowns": 9 },
        },
        { status: { "pmem-dax|pks-kmap": status } },
      );
      const d = claim("pks-no-flush").decide(shaky);
      expect(d.verdict, status).toBe("supported");
      expect(d.evidence.join(" "), status).toContain(`pks-kmap on pmem-dax is ${status}`);
    }
  });

  it("2 kmap-does-nothing: any protection cycle of unprotected refutes it", () => {
    expect(claim("kmap-does-nothing").decide(fake(everywhere("unprotected", {}))).verdict).toBe(
      "supported",
    );
    const spent = fake({
      ...everywhere("unprotected", {}),
      "xpfo-churn|unprotected": { "cost.cycles.invlpg": 230 },
    });
    expect(claim("kmap-does-nothing").decide(spent).verdict).toBe("refuted");
  });

  it("3 page-address-no-unmap: longer exposure than pks-kmap, nothing else; equal is a tie", () => {
    const cells = (exposure: number, caught: number) =>
      fake({
        "pmem-dax|page-address": { "exposure.page_cycles": exposure, "coverage.caught": caught },
        "pmem-dax|pks-kmap": { "exposure.page_cycles": 100, "coverage.caught": 20 },
      });
    // Longer exposure supports it even when it catches as many strays (no added conjunct).
    expect(claim("page-address-no-unmap").decide(cells(300, 20)).verdict).toBe("supported");
    expect(claim("page-address-no-unmap").decide(cells(50, 1)).verdict).toBe("refuted");
    expect(claim("page-address-no-unmap").decide(cells(100, 1)).verdict).toBe("tie");
    expect(claim("page-address-no-unmap").decide(fake({})).verdict).toBe("not decidable");
    // Identical cells: the mechanisms coincide, so the tie is no evidence.
    const same = { "exposure.page_cycles": 100, "coverage.caught": 20 };
    const twins = fake({ "pmem-dax|page-address": same, "pmem-dax|pks-kmap": same });
    const d = claim("page-address-no-unmap").decide(twins);
    expect(d.verdict).toBe("not decidable");
    expect(d.evidence.join(" ")).toContain("tie by construction");
  });

  it("4 vmap-long-term: vmap-alias fails less than pks-kmap (kmap-local-range not read); equal is a tie", () => {
    const cells = (vmapRefused: number) =>
      fake(
        {
          "long-term-map|vmap-alias": { "compat.unsupported_maps": vmapRefused },
          "long-term-map|pks-kmap": { "compat.unsupported_maps": 8 },
        },
        { status: { "long-term-map|pks-kmap": "unsupported" } },
      );
    expect(claim("vmap-long-term").strategies).not.toContain("kmap-local-range");
    expect(claim("vmap-long-term").decide(cells(0)).verdict).toBe("supported");
    expect(claim("vmap-long-term").decide(cells(8)).verdict).toBe("tie");
    expect(claim("vmap-long-term").decide(cells(9)).verdict).toBe("refuted");
    const failed = fake(
      {
        "long-term-map|vmap-alias": { "compat.unsupported_maps": 0 },
        "long-term-map|pks-kmap": { "compat.unsupported_maps": 8 },
      },
      { status: { "long-term-map|pks-kmap": "failed" } },
    );
    expect(claim("vmap-long-term").decide(failed).verdict).toBe("not decidable");
  });

  it("5 no-direct-map-slow: strict majority; identical twins decide nothing; half is a tie", () => {
    const costs = (own: number, vmapEqual = false) =>
      fake({
        ...everywhere("pks-kmap", { "cost.cycles_per_op": 100 }),
        ...everywhere("vmap-alias", { "cost.cycles_per_op": 120, "events.x": vmapEqual ? 1 : 2 }),
        ...everywhere("kmap-local-range", { "cost.cycles_per_op": 90 }),
        ...everywhere("no-direct-map", { "cost.cycles_per_op": own, "events.x": 1 }),
      });
    expect(claim("no-direct-map-slow").decide(costs(130)).verdict).toBe("supported");
    expect(claim("no-direct-map-slow").decide(costs(110)).verdict).toBe("refuted");
    // Equal cost at the top, other metrics differ: a tie on every workload.
    const tie = claim("no-direct-map-slow").decide(costs(120));
    expect(tie.verdict).toBe("tie");
    expect(tie.evidence[0]).toContain("most expensive on 0 of 0");
    expect(tie.evidence.join(" ")).toContain("tied for most expensive on");
    // Identical in every metric to vmap-alias: by construction, no evidence at all.
    const twins = claim("no-direct-map-slow").decide(costs(120, true));
    expect(twins.verdict).toBe("not decidable");
    expect(twins.evidence.join(" ")).toContain("identical to a rival by construction");
    // Most expensive on 5 of 10: exactly half is a tie, not support or refutation.
    const half = fake({
      ...everywhere("pks-kmap", { "cost.cycles_per_op": 100 }),
      ...Object.fromEntries(
        CLAIM_WORKLOADS.map((w, i) => [
          `${w}|no-direct-map`,
          { "cost.cycles_per_op": i < 5 ? 200 : 50 },
        ]),
      ),
    });
    expect(claim("no-direct-map-slow").decide(half).verdict).toBe("tie");
  });

  it("6 kmap-local-range-btrfs: fewer cycles/op (PKRS writes only shown); equal is a tie", () => {
    const cells = (cost: number, writes = 10) =>
      fake({
        "btrfs-metadata|kmap-local-range": {
          "events.pkrs_writes": writes,
          "cost.cycles_per_op": cost,
        },
        "btrfs-metadata|pks-kmap": { "events.pkrs_writes": 100, "cost.cycles_per_op": 20 },
      });
    expect(claim("kmap-local-range-btrfs").decide(cells(10, 200)).verdict).toBe("supported");
    expect(claim("kmap-local-range-btrfs").decide(cells(30)).verdict).toBe("refuted");
    expect(claim("kmap-local-range-btrfs").decide(cells(20)).verdict).toBe("tie");
  });

  it("7 pks-btrfs-debug: pks-kmap catches illegal writes; its cost against set-memory-ro is not tested", () => {
    const cells = (caught: number) =>
      fake({
        "btrfs-debug-ro|set-memory-ro": { "cost.cycles_per_op": 1000, "coverage.caught": 50 },
        "btrfs-debug-ro|pks-kmap": { "cost.cycles_per_op": 1500, "coverage.caught": caught },
      });
    expect(claim("pks-btrfs-debug").strategies).not.toContain("kmap-local-range");
    expect(claim("pks-btrfs-debug").decide(cells(40)).verdict).toBe("supported");
    expect(claim("pks-btrfs-debug").decide(cells(0)).verdict).toBe("refuted");
  });

  it("8 pks-local-cpu: false faults for pks-kmap (vmap-alias not read)", () => {
    const cells = (pks: number) =>
      fake({ "cross-cpu-handoff|pks-kmap": { "compat.false_faults": pks } });
    expect(claim("pks-local-cpu").strategies).toEqual(["pks-kmap"]);
    expect(claim("pks-local-cpu").decide(cells(3)).verdict).toBe("supported");
    expect(claim("pks-local-cpu").decide(cells(0)).verdict).toBe("refuted");
  });

  it("every LSFMM claim states the setup the discussion assumed", () => {
    for (const c of LSFMM_CLAIMS) expect(c.setup, c.id).toMatch(/\w{4}/);
  });
});

describe("pkslab claims on the model", () => {
  let report: ClaimsReport;
  beforeAll(async () => {
    report = await evaluateClaims({ robustness: false });
  }, 120_000);

  /** The model's current verdicts (server-2022, 4 CPUs): a change here is a finding. */
  const EXPECTED: Record<string, string> = {
    "pks-no-flush": "supported",
    "kmap-does-nothing": "supported",
    "page-address-no-unmap": "supported",
    "vmap-long-term": "supported",
    "no-direct-map-slow": "refuted",
    "kmap-local-range-btrfs": "supported",
    // Supported since readers of a write-disable region take page_address() (no PKRS write):
    // pks-kmap no longer pays a lift per read-only helper call (issue 17, item 1).
    "pks-btrfs-debug": "supported",
    "pks-local-cpu": "supported",
  };

  it.each(Object.entries(EXPECTED))("%s is decided (%s) with numbers", (id, verdict) => {
    const outcome = report.claims.find((c) => c.id === id)!;
    expect(outcome.verdict).toBe(verdict);
    expect(outcome.evidence.length).toBeGreaterThan(0);
    expect(outcome.evidence.join(" ")).toMatch(/\d/);
    expect(outcome.quote.length).toBeGreaterThan(10);
  });

  it("the output is deterministic", async () => {
    const again = await evaluateClaims({ robustness: false });
    for (const format of ["table", "markdown", "email", "json"] as const) {
      expect(renderClaims(again, format)).toBe(renderClaims(report, format));
    }
    for (const line of renderClaims(report, "email").split("\n")) {
      expect(line.length).toBeLessThanOrEqual(72);
      expect(line).toMatch(/^[\x20-\x7e]*$/);
    }
  }, 120_000);

  it("the robustness sweep names the parameter that flips a verdict, at a value that flips it, on any number of threads", async () => {
    const config = defaultClaimsConfig();
    const probe: Claim = { ...claim("pks-local-cpu"), workloads: ["pmem-dax"] };
    const cost = (profile = config.profile) => {
      const plan = claimsPlan([probe], { ...config, profile });
      const results = claimResults(plan, runClaimCells([probe], plan));
      return results.cell("pmem-dax", "pks-kmap")!.metrics["cost.cycles_per_op"];
    };
    const base = cost();
    // Just above today's cost: any swept parameter that makes pks-kmap dearer flips it.
    const limit = base * 1.0001;
    const fragile: Claim = {
      id: "pks-kmap-under-limit",
      quote: "synthetic",
      speaker: "-",
      source: "test",
      predicate: `pmem-dax pks-kmap cycles/op < ${limit}`,
      workloads: ["pmem-dax"],
      strategies: ["pks-kmap"],
      decide: (results) => {
        const c = results.cell("pmem-dax", "pks-kmap")!.metrics["cost.cycles_per_op"];
        return { verdict: c < limit ? "supported" : "refuted", evidence: [`${c}`] };
      },
    };
    // Robust by construction: unprotected charges no protection cycle whatever the costs.
    const steady: Claim = { ...claim("kmap-does-nothing"), id: "steady", workloads: ["pmem-dax"] };
    const a = await evaluateClaims({ claims: [fragile, steady], config, jobs: 1 });
    // On two threads (the variants' runs and the threshold bisections spread over them):
    // the same report, thresholds included.
    const b = await evaluateClaims({ claims: [fragile, steady], config, jobs: 2 });
    expect(renderClaims(b, "json")).toBe(renderClaims(a, "json"));
    const [f, r] = a.claims;
    expect(f.verdict).toBe("supported");
    expect(r.verdict).toBe("supported");
    expect(r.robustness).toEqual({
      robust: true,
      variants: sweepVariants(config.profile).length,
      flips: [],
    });
    expect(f.robustness?.robust).toBe(false);
    const single = f.robustness!.flips.filter((flip) => flip.parameter !== undefined);
    expect(single.length).toBeGreaterThan(0);
    for (const flip of single.slice(0, 2)) {
      expect(flip.verdict).toBe("refuted");
      const name = flip.parameter!;
      const parameter = config.profile.parameters[name];
      const [low, high] = parameter.range!;
      expect(flip.threshold!).toBeGreaterThanOrEqual(Math.min(low, parameter.value));
      expect(flip.threshold!).toBeLessThanOrEqual(Math.max(high, parameter.value));
      // At the reported threshold the cost is past the limit: the verdict there is the flip's.
      expect(
        cost(overrideProfile(config.profile, { [name]: flip.threshold! })),
      ).toBeGreaterThanOrEqual(limit);
    }
    const table = renderClaims(a, "table");
    expect(table).toContain(`robust (${sweepVariants(config.profile).length} variants)`);
    expect(table).toContain(
      `depends on: ${single[0].parameter} ${single[0].direction === "above" ? ">=" : "<="} ~${single[0].threshold}`,
    );
    expect(f.atCpus?.map((at) => at.cpus)).toEqual([16]);
  }, 180_000);
});

describe("user claims files and sensitivity", () => {
  it("a JSON claims file is checked against the same results", async () => {
    const file = tempFile(
      "claims",
      "mine.json",
      JSON.stringify({
        claims: [
          {
            id: "handoff-faults",
            quote: "PKS is per CPU",
            predicate: "pks-kmap takes more false faults than vmap-alias on cross-cpu-handoff",
            all: [
              {
                left: {
                  workload: "cross-cpu-handoff",
                  strategy: "pks-kmap",
                  metric: "compat.false_faults",
                },
                op: ">",
                right: {
                  workload: "cross-cpu-handoff",
                  strategy: "vmap-alias",
                  metric: "compat.false_faults",
                },
              },
            ],
          },
        ],
      }),
    );
    const claims = await loadClaimsFile(file);
    const result = await evaluateClaims({ claims, robustness: false });
    expect(result.claims[0].verdict).toBe("supported");
    expect(result.claims[0].evidence[0]).toMatch(
      /cross-cpu-handoff\/pks-kmap compat.false_faults = \d+ >/,
    );
    writeFileSync(
      file,
      JSON.stringify({
        claims: [
          {
            id: "x",
            quote: "q",
            predicate: "p",
            all: [
              {
                left: { workload: "pmem-dax", strategy: "pks-kmap", metric: "cost.cycles_per_opp" },
                op: "<",
                right: 1,
              },
            ],
          },
        ],
      }),
    );
    await expect(loadClaimsFile(file)).rejects.toThrow(/unknown metric "cost.cycles_per_opp"/);
  }, 60_000);

  it("a JSON condition on a cell that is not ok gets its status: not decidable unless it accepts it", () => {
    const ref = {
      workload: "long-term-map",
      strategy: "pks-kmap",
      metric: "compat.unsupported_maps",
    };
    const make = (accept?: string[]) =>
      jsonClaim(
        {
          id: "refuses",
          quote: "q",
          predicate: "pks-kmap refuses long-term maps",
          all: [{ left: accept ? { ...ref, accept: accept as never } : ref, op: ">", right: 0 }],
        },
        "inline",
      );
    for (const status of ["unsupported", "partial", "error", "failed"]) {
      const results = fake(
        { "long-term-map|pks-kmap": { "compat.unsupported_maps": 8 } },
        { status: { "long-term-map|pks-kmap": status } },
      );
      const refused = make().decide(results);
      expect(refused.verdict, status).toBe("not decidable");
      expect(refused.evidence[0], status).toContain(`long-term-map/pks-kmap is ${status}`);
      const accepted = make([status]).decide(results);
      expect(accepted.verdict, status).toBe("supported");
      expect(accepted.evidence[0], status).toContain(`[${status}]`);
    }
  });

  it("a strict JSON comparison between equal values is a tie, not support or refutation", () => {
    const left = { workload: "pmem-dax", strategy: "vmap-alias", metric: "cost.cycles_per_op" };
    const right = { ...left, strategy: "pks-kmap" };
    const c = jsonClaim(
      { id: "t", quote: "q", predicate: "p", all: [{ left, op: "<", right }] },
      "inline",
    );
    const at = (a: number, b: number) =>
      c.decide(
        fake({
          "pmem-dax|vmap-alias": { "cost.cycles_per_op": a },
          "pmem-dax|pks-kmap": { "cost.cycles_per_op": b },
        }),
      ).verdict;
    expect(at(1, 2)).toBe("supported");
    expect(at(2, 2)).toBe("tie");
    expect(at(3, 2)).toBe("refuted");
  });

  it("a TypeScript claims file (the docs/claims.md example) is loaded and decided", async () => {
    const claims = await loadClaimsFile(join(import.meta.dirname, "fixtures", "range-writes.ts"));
    expect(claims.map((c) => c.id)).toEqual(["range-saves-writes-everywhere"]);
    const result = await evaluateClaims({ claims, robustness: false });
    expect(result.claims[0].verdict).toBe("supported");
    expect(result.claims[0].evidence).toHaveLength(3);
  }, 60_000);

  it("sensitivity(plan) reports per-workload ranking stability", () => {
    const base = claimsPlan([claim("vmap-long-term")], defaultClaimsConfig());
    const report = sensitivity(base);
    expect(report.workloads.map((w) => w.workload)).toEqual(["long-term-map"]);
    // pks-kmap is unsupported on long-term-map (it refuses every map): never ranked.
    expect(base.strategies.map((s) => s.module.name)).toContain("pks-kmap");
    expect(report.workloads[0].ranking).toEqual(["vmap-alias"]);
    expect(report.variants).toBe(sweepVariants(base.profile).length);
    expect(renderSensitivity(report)).toContain("long-term-map");
  }, 180_000);
});
