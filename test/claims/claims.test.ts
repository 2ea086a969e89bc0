import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadProfile } from "../../core/profile.ts";
import {
  CLAIM_WORKLOADS,
  type ClaimCell,
  type ClaimResults,
  LSFMM_CLAIMS,
} from "../../reports/claims/claims.ts";
import {
  type ClaimsReport,
  claimsPlan,
  defaultClaimsConfig,
  evaluateClaims,
  sweepVariants,
} from "../../reports/claims/evaluate.ts";
import { renderClaims } from "../../reports/claims/render.ts";
import { renderSensitivity, sensitivity } from "../../reports/claims/sensitivity.ts";
import { loadClaimsFile } from "../../reports/claims/user.ts";

/** Synthetic results: every listed cell ok with the given metrics. */
function fake(
  cells: Record<string, Record<string, number>>,
  options: { workloads?: readonly string[]; status?: Record<string, ClaimCell["status"]> } = {},
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
  it("1 pks-no-flush: supported only with no kmap-path shootdown and pks-kmap cheaper everywhere", () => {
    const good = fake({
      ...everywhere("pks-kmap", { "events.shootdowns": 1, "cost.cycles_per_op": 100 }),
      ...everywhere("vmap-alias", { "events.shootdowns": 2, "cost.cycles_per_op": 200 }),
    });
    expect(claim("pks-no-flush").decide(good).verdict).toBe("supported");
    const flushing = fake({
      ...everywhere("pks-kmap", { "events.shootdowns": 1, "cost.cycles_per_op": 100 }),
      "pmem-dax|pks-kmap": { "events.shootdowns": 5, "cost.cycles_per_op": 100 },
      ...everywhere("vmap-alias", { "events.shootdowns": 2, "cost.cycles_per_op": 200 }),
    });
    const decision = claim("pks-no-flush").decide(flushing);
    expect(decision.verdict).toBe("refuted");
    expect(decision.evidence.join(" ")).toContain("pmem-dax: pks-kmap issued 4 shootdowns");
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

  it("3 page-address-no-unmap: exposure near unprotected's and fewer catches", () => {
    const cells = (exposure: number, caught: number) =>
      fake({
        "pmem-dax|page-address": { "exposure.page_cycles": exposure, "coverage.caught": caught },
        "pmem-dax|pks-kmap": { "exposure.page_cycles": 100, "coverage.caught": 20 },
        "pmem-dax|unprotected": { "exposure.page_cycles": 1000, "coverage.caught": 0 },
      });
    expect(claim("page-address-no-unmap").decide(cells(950, 1)).verdict).toBe("supported");
    expect(claim("page-address-no-unmap").decide(cells(300, 1)).verdict).toBe("refuted");
    expect(claim("page-address-no-unmap").decide(fake({})).verdict).toBe("not decidable");
  });

  it("4 vmap-long-term: vmap-alias serves everything, the kmap strategies refuse", () => {
    const cells = (vmapRefused: number) =>
      fake({
        "long-term-map|vmap-alias": { "compat.unsupported_maps": vmapRefused },
        "long-term-map|pks-kmap": { "compat.unsupported_maps": 8 },
        "long-term-map|kmap-local-range": { "compat.broken_accesses": 3 },
      });
    expect(claim("vmap-long-term").decide(cells(0)).verdict).toBe("supported");
    expect(claim("vmap-long-term").decide(cells(1)).verdict).toBe("refuted");
  });

  it("5 no-direct-map-slow: counts the workloads where it is strictly the most expensive", () => {
    const costs = (own: number) =>
      fake({
        ...everywhere("pks-kmap", { "cost.cycles_per_op": 100 }),
        ...everywhere("vmap-alias", { "cost.cycles_per_op": 120 }),
        ...everywhere("kmap-local-range", { "cost.cycles_per_op": 90 }),
        ...everywhere("no-direct-map", { "cost.cycles_per_op": own }),
      });
    expect(claim("no-direct-map-slow").decide(costs(130)).verdict).toBe("supported");
    const tie = claim("no-direct-map-slow").decide(costs(120));
    expect(tie.verdict).toBe("refuted");
    expect(tie.evidence[0]).toContain("most expensive on 0 of 10");
  });

  it("6 kmap-local-range-btrfs: fewer PKRS writes and fewer cycles", () => {
    const cells = (writes: number) =>
      fake({
        "btrfs-metadata|kmap-local-range": {
          "events.pkrs_writes": writes,
          "cost.cycles_per_op": 10,
        },
        "btrfs-metadata|pks-kmap": { "events.pkrs_writes": 100, "cost.cycles_per_op": 20 },
      });
    expect(claim("kmap-local-range-btrfs").decide(cells(10)).verdict).toBe("supported");
    expect(claim("kmap-local-range-btrfs").decide(cells(200)).verdict).toBe("refuted");
  });

  it("7 pks-btrfs-debug: both PKS strategies catch and cost less than set-memory-ro", () => {
    const cells = (pksCost: number) =>
      fake({
        "btrfs-debug-ro|set-memory-ro": { "cost.cycles_per_op": 1000, "coverage.caught": 50 },
        "btrfs-debug-ro|pks-kmap": { "cost.cycles_per_op": pksCost, "coverage.caught": 40 },
        "btrfs-debug-ro|kmap-local-range": { "cost.cycles_per_op": 300, "coverage.caught": 30 },
      });
    expect(claim("pks-btrfs-debug").decide(cells(500)).verdict).toBe("supported");
    expect(claim("pks-btrfs-debug").decide(cells(1500)).verdict).toBe("refuted");
  });

  it("8 pks-local-cpu: false faults for pks-kmap, none for vmap-alias", () => {
    const cells = (pks: number) =>
      fake({
        "cross-cpu-handoff|pks-kmap": { "compat.false_faults": pks },
        "cross-cpu-handoff|vmap-alias": { "compat.false_faults": 0 },
      });
    expect(claim("pks-local-cpu").decide(cells(3)).verdict).toBe("supported");
    expect(claim("pks-local-cpu").decide(cells(0)).verdict).toBe("refuted");
  });
});

describe("pkslab claims on the model", () => {
  let report: ClaimsReport;
  beforeAll(() => {
    report = evaluateClaims({ robustness: false });
  }, 120_000);

  /** The model's current verdicts (server-2022, 4 CPUs): a change here is a finding. */
  const EXPECTED: Record<string, string> = {
    "pks-no-flush": "refuted",
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

  it("the output is deterministic", () => {
    const again = evaluateClaims({ robustness: false });
    for (const format of ["table", "markdown", "email", "json"] as const) {
      expect(renderClaims(again, format)).toBe(renderClaims(report, format));
    }
    for (const line of renderClaims(report, "email").split("\n")) {
      expect(line.length).toBeLessThanOrEqual(72);
      expect(line).toMatch(/^[\x20-\x7e]*$/);
    }
  }, 120_000);

  it("the robustness sweep names the parameter that flips a verdict, deterministically", () => {
    const only = [claim("pks-local-cpu")];
    const a = evaluateClaims({ claims: only });
    const b = evaluateClaims({ claims: only });
    expect(renderClaims(a, "json")).toBe(renderClaims(b, "json"));
    const outcome = a.claims[0];
    expect(outcome.robustness?.variants).toBe(sweepVariants(loadProfile()).length);
    expect(outcome.atCpus?.map((at) => at.cpus)).toEqual([16]);
    expect(renderClaims(a, "table")).toMatch(/robust|depends on/);
  }, 180_000);
});

describe("user claims files and sensitivity", () => {
  it("a JSON claims file is checked against the same results", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pkslab-claims-"));
    const file = join(dir, "mine.json");
    writeFileSync(
      file,
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
    const result = evaluateClaims({ claims, robustness: false });
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

  it("a TypeScript claims file (the docs/claims.md example) is loaded and decided", async () => {
    const claims = await loadClaimsFile(join(import.meta.dirname, "fixtures", "range-writes.ts"));
    expect(claims.map((c) => c.id)).toEqual(["range-saves-writes-everywhere"]);
    const result = evaluateClaims({ claims, robustness: false });
    expect(result.claims[0].verdict).toBe("supported");
    expect(result.claims[0].evidence).toHaveLength(3);
  }, 60_000);

  it("sensitivity(plan) reports per-workload ranking stability", () => {
    const base = claimsPlan([claim("pks-local-cpu")], defaultClaimsConfig());
    const report = sensitivity(base);
    expect(report.workloads.map((w) => w.workload)).toEqual(["cross-cpu-handoff"]);
    expect(report.workloads[0].ranking).toHaveLength(2);
    expect(report.variants).toBe(sweepVariants(base.profile).length);
    expect(renderSensitivity(report)).toContain("cross-cpu-handoff");
  }, 180_000);
});
