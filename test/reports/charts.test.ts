import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { comparisonCharts, specToSvg } from "../../reports/render/charts.ts";

import { writePngCharts } from "../../reports/render/png.ts";
import { parseResults } from "../../reports/results/results.ts";
import { nonEmptyEvery } from "../helpers/lists.ts";
import { tempDir } from "../helpers/tmp.ts";
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
    expect(nonEmptyEvery(unprotected, (v) => v.share === 0)).toBe(true);
    const svg = await specToSvg(chart.spec, "coverage");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toMatch(/<path|<rect/);
  });

  it("the overview colours the paired ratio on a log scale, and a cell with no number is grey with its status", () => {
    const copy = structuredClone(doc);
    const cell = copy.results.find(
      (c) => c.workload === "btrfs-metadata" && c.strategy === "pks-kmap",
    )!;
    cell.status = "unsupported";
    delete cell.vsBaseline;
    const chart = comparisonCharts(copy).find((c) => c.name === "overview")!;
    const spec = chart.spec as unknown as {
      data: {
        values: { workload: string; strategy: string; ratio: number | null; label: string }[];
      };
      layer: {
        mark: { fill?: string };
        encoding: { color?: { scale?: { type?: string; domainMid?: number } } };
      }[];
    };
    const ratioLayer = spec.layer.find((layer) => layer.encoding.color?.scale);
    expect(ratioLayer?.encoding.color?.scale).toMatchObject({ type: "log", domainMid: 1 });
    expect(spec.layer.some((layer) => layer.mark.fill !== undefined)).toBe(true);
    const values = spec.data.values;
    const none = values.find((v) => v.workload === "btrfs-metadata")!;
    expect(none.ratio).toBeNull();
    expect(none.label).toBe("unsupported");
    // The ok cell's colour is its paired change, as a ratio.
    const ok = values.find((v) => v.workload === "pmem-dax")!;
    const paired = doc.results.find((c) => c.workload === "pmem-dax" && c.strategy === "pks-kmap")!;
    expect(ok.ratio).toBeCloseTo(1 + (paired.vsBaseline?.change ?? Number.NaN), 12);
  });

  it("the cycles chart draws no bar for a cell that did not do its work", () => {
    const copy = structuredClone(doc);
    copy.results.find((c) => c.workload === "pmem-dax" && c.strategy === "pks-kmap")!.status =
      "failed";
    const chart = comparisonCharts(copy).find((c) => c.name === "pmem-dax-cycles")!;
    const values = (chart.spec as { data: { values: { strategy: string }[] } }).data.values;
    expect(values.map((v) => v.strategy)).toEqual(["unprotected"]);
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
    const dir = tempDir("png");
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
