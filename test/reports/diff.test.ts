import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configDifferences, renderDiff } from "../../reports/render/diff.ts";
import { parseResults, type ResultDocument, summarizeCell } from "../../reports/results/results.ts";
import { expectGolden, GOLDEN_DIR } from "./helpers.ts";

const a = parseResults(
  JSON.parse(readFileSync(join(GOLDEN_DIR, "small.json"), "utf8")),
  "small.json",
);

/** A copy of the golden document as if wrmsr cost 3x: pks-kmap's cycles/op up by half. */
function slower(): ResultDocument {
  const b: ResultDocument = structuredClone(a);
  b.context.costProfile.parameters.wrmsr_pkrs_cycles.value *= 3;
  b.context.configHash = "0123456789ab";
  for (const cell of b.results) {
    if (cell.strategy !== "pks-kmap") continue;
    for (const run of cell.runs) run.metrics["cost.cycles_per_op"] *= 1.5;
    cell.summary = summarizeCell(cell.runs);
  }
  return b;
}

describe("pkslab diff", () => {
  it("renders as in its golden file", () => {
    expectGolden("small.diff.golden", renderDiff(a, slower()));
  });

  it("lists what differs in the configurations", () => {
    expect(configDifferences(a, a)).toEqual([]);
    const differences = configDifferences(a, slower());
    expect(differences.some((line) => line.startsWith("profile.wrmsr_pkrs_cycles:"))).toBe(true);
  });

  it("marks the changed cells, not the unchanged ones", () => {
    const text = renderDiff(a, slower());
    const rows = text.split("\n").filter((line) => line.includes("cycles/op"));
    expect(rows).toHaveLength(4);
    expect(rows.filter((row) => row.includes("+50.0%*"))).toHaveLength(2);
    expect(rows.filter((row) => row.includes("0.0%") && !row.includes("+50"))).toHaveLength(2);
  });
});
