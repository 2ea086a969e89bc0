/**
 * Width rules on a wide synthetic document: five strategies (one unsupported with a long
 * reason), very large and very small values, wide CIs. The terminal table must fit 120
 * columns and the email 72.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderDocument } from "../../reports/commands/output.ts";
import { formatHalf, formatNumber } from "../../reports/render/common.ts";
import { parseResults, type ResultDocument, summarizeCell } from "../../reports/results/results.ts";
import { GOLDEN_DIR } from "./helpers.ts";

const small = parseResults(
  JSON.parse(readFileSync(join(GOLDEN_DIR, "small.json"), "utf8")),
  "small.json",
);

function wide(): ResultDocument {
  const doc: ResultDocument = structuredClone(small);
  const extra = [
    { name: "vmap-alias", scale: 7.3 },
    { name: "no-direct-map", scale: 912.5 },
    { name: "kmap-local-range", scale: 4012.25 },
  ];
  const results = [];
  for (const cell of doc.results) {
    results.push(cell);
    if (cell.strategy !== "pks-kmap") continue;
    for (const { name, scale } of extra) {
      const copy = structuredClone(cell);
      copy.strategy = name;
      copy.runs = copy.runs.map((run, i) => ({
        seed: run.seed,
        metrics: Object.fromEntries(
          Object.entries(run.metrics).map(([k, v]) => [k, v * scale * (1 + i * 0.03)]),
        ),
      }));
      copy.summary = summarizeCell(copy.runs);
      if (name === "kmap-local-range") {
        copy.status = "unsupported";
        copy.reason =
          "long-term: kmap_local_range() is a local (this thread, this CPU) mapping; no long-term variant exists, so vmap() territory is refused";
      }
      results.push(copy);
    }
  }
  doc.results = results;
  doc.context.config.strategies.push(
    ...extra.map(({ name }) => ({
      name,
      version: "1.0.0",
      source: "built-in",
      options: {},
      costOverrides: {},
    })),
  );
  return doc;
}

describe("report widths", () => {
  it("fits the terminal table in 120 columns", async () => {
    const text = await renderDocument(wide(), "table");
    for (const line of text.split("\n")) expect(line.length, line).toBeLessThanOrEqual(120);
    expect(text).toContain("kmap-local-range");
  });

  it("fits the email in 72 columns, printable ASCII", async () => {
    const text = await renderDocument(wide(), "email");
    for (const line of text.split("\n")) {
      expect(line.length, line).toBeLessThanOrEqual(72);
      expect(/^[\x20-\x7e]*$/.test(line), line).toBe(true);
    }
  });

  it("formats numbers compactly", () => {
    expect(formatNumber(1538.39)).toBe("1538");
    expect(formatNumber(99999)).toBe("99999");
    expect(formatNumber(7_380_000)).toBe("7.38M");
    expect(formatNumber(0.925)).toBe("0.93");
    expect(formatNumber(null)).toBe("-");
    expect(formatHalf(57.28)).toBe("57");
    expect(formatHalf(37_400)).toBe("37k");
    expect(formatHalf(2_450_000)).toBe("2.5M");
  });
});
