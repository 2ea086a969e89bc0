import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { comparisonCharts, specToSvg } from "../../reports/render/html.ts";
import { writePngCharts } from "../../reports/render/png.ts";
import { parseResults } from "../../reports/results.ts";
import { GOLDEN_DIR } from "./helpers.ts";

const doc = parseResults(
  JSON.parse(readFileSync(join(GOLDEN_DIR, "small.json"), "utf8")),
  "small.json",
);

describe("comparison charts", () => {
  it("has the overview, the coverage heat map and per workload a cycles chart and a cost breakdown", () => {
    const names = comparisonCharts(doc).map((chart) => chart.name);
    const workloads = [...new Set(doc.results.map((cell) => cell.workload))];
    expect(names).toContain("overview");
    expect(names).toContain("coverage");
    for (const workload of workloads) {
      expect(names).toContain(`${workload}-cycles`);
      expect(names).toContain(`${workload}-breakdown`);
    }
  });

  it("the coverage heat map has one cell per strategy and stray class, with the blocked share", async () => {
    const chart = comparisonCharts(doc).find((c) => c.name === "coverage")!;
    const values = (chart.spec as { data: { values: { strategy: string; share: number }[] } }).data
      .values;
    const unprotected = values.filter((v) => v.strategy === "unprotected");
    expect(unprotected.length).toBeGreaterThan(0);
    expect(unprotected.every((v) => v.share === 0)).toBe(true);
    const svg = await specToSvg(chart.spec, "coverage");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toMatch(/<path|<rect/);
  });

  it("the cost breakdown stacks ledger categories whose sum is cycles/op", () => {
    const cell = doc.results.find((c) => c.strategy === "pks-kmap")!;
    const chart = comparisonCharts(doc).find((c) => c.name === `${cell.workload}-breakdown`)!;
    const values = (
      chart.spec as { data: { values: { strategy: string; category: string; cycles: number }[] } }
    ).data.values.filter((v) => v.strategy === "pks-kmap");
    expect(values.map((v) => v.category)).toContain("pkrs_write");
    const sum = values.reduce((total, v) => total + v.cycles, 0);
    const perOp = cell.summary["cost.cycles_per_op"].mean!;
    // Means of ratios and ratios of means differ slightly across seeds.
    expect(Math.abs(sum - perOp) / perOp).toBeLessThan(0.05);
  });

  it("--format png writes one PNG file per chart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pkslab-png-"));
    const written = await writePngCharts(doc, join(dir, "charts"));
    expect(written.map((path) => basename(path))).toEqual(
      comparisonCharts(doc).map((chart) => `${chart.name}.png`),
    );
    for (const path of written) {
      const bytes = readFileSync(path);
      expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      expect(bytes.length).toBeGreaterThan(1000);
    }
  });
});
