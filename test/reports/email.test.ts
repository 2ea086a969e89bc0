import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderDocument } from "../../reports/commands/output.ts";

import { delta, formatNumber } from "../../reports/render/common.ts";
import { EMAIL_WIDTH, wrapWords } from "../../reports/render/email.ts";
import { parseResults, type ResultDocument } from "../../reports/results/results.ts";
import { pkslab } from "../helpers/cli.ts";
import { nonEmptyEvery } from "../helpers/lists.ts";
import { expectGolden, GOLDEN_DIR } from "./helpers.ts";

const doc = parseResults(
  JSON.parse(readFileSync(join(GOLDEN_DIR, "small.json"), "utf8")),
  "small.json",
);

function expectMailSafe(text: string): void {
  for (const line of text.split("\n")) {
    expect(line.length, `too long: ${line}`).toBeLessThanOrEqual(EMAIL_WIDTH);
    expect(/^[\x20-\x7e]*$/.test(line), `not printable ASCII: ${line}`).toBe(true);
  }
}

/** The small document with a long plugin-like strategy name, a non-ASCII reason and long plugin paths. */
function awkward(): ResultDocument {
  const copy: ResultDocument = structuredClone(doc);
  const renamed = "my-very-long-out-of-tree-strategy-name";
  for (const cell of copy.results) {
    if (cell.strategy === "pks-kmap") {
      cell.strategy = renamed;
      cell.status = "unsupported";
      cell.reason =
        "kmap_local_page() nesting ≥ 16 — the fixmap has 15 usable slots per task, so deeper nesting is refused";
    }
  }
  copy.context.reproduce = `${copy.context.reproduce} --plugin /home/someone/work/plugins/strategies/${renamed}.ts --set ${renamed}.batch=64`;
  return copy;
}

describe("email format", () => {
  it("is printable ASCII with no line over 72 columns", async () => {
    expectMailSafe(await renderDocument(doc, "email"));
    expectMailSafe(await renderDocument(awkward(), "email"));
    expectMailSafe(await renderDocument(doc, "email", undefined, "lkp"));
    expectMailSafe(await renderDocument(awkward(), "email", undefined, "lkp"));
  });

  it("has a legend, the cost profile and the exact reproduce command", async () => {
    const text = await renderDocument(doc, "email");
    // The legend names the statistical method, n and the confidence, and the statuses.
    expect(text).toContain("paired t on per-seed log ratios");
    expect(text).toMatch(/n = 2, 95%/);
    expect(text).toMatch(/status: ok = /);
    expect(text).toContain("strategies:");
    expect(text).toContain(`profile ${doc.context.costProfile.name}`);
    const reproduce = text
      .slice(text.indexOf("reproduce: "))
      .replaceAll(" \\\n    ", " ")
      .replace("reproduce: ", "")
      .trim();
    expect(reproduce).toBe(`${doc.context.reproduce} --format email`);
    expect(reproduce.startsWith("npx pkslab compare ")).toBe(true);
  });

  it("has one block per workload with baseline, candidate and delta columns", async () => {
    const text = await renderDocument(doc, "email");
    for (const workload of ["pmem-dax", "btrfs-metadata"]) {
      expect(text).toContain(`workload ${workload}  (baseline unprotected)`);
    }
    expect(text).toMatch(/metric\s+strategy\s+baseline\s+candidate\s+delta/);
  });

  it("wraps at spaces with continuation marks", async () => {
    const lines = wrapWords("a ".repeat(60).trim(), 20, "  ", " \\");
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(20);
    expect(nonEmptyEvery(lines.slice(0, -1), (line) => line.endsWith(" \\"))).toBe(true);
  });
});

describe("email format, LKP style", () => {
  it("renders as in its golden file", async () => {
    expectGolden("small.email-lkp.golden", await renderDocument(doc, "email", undefined, "lkp"));
  });

  it("has the LKP column heads and names the metric last", async () => {
    const text = await renderDocument(doc, "email", undefined, "lkp");
    expect(text).toContain("         %stddev     %change         %stddev");
    // cycles/op takes the paired change of the document's cell.
    const cell = doc.results.find((c) => c.workload === "pmem-dax" && c.strategy === "pks-kmap");
    const change = `+${((cell?.vsBaseline?.change ?? 0) * 100).toFixed(1)}%`;
    const mean = formatNumber(cell?.summary["cost.cycles_per_op"]?.mean);
    expect(text).toMatch(
      new RegExp(`\\${change.replace(".", "\\.")}\\*\\s+${mean}\\s+cost\\.cycles_per_op`),
    );
    expect(text.replaceAll(" \\\n    ", " ")).toContain("--format email --style lkp");
  });

  it("refuses --style with another format (exit 2)", async () => {
    const run = await pkslab`compare --from ${join(GOLDEN_DIR, "small.json")} --style lkp`;
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--style applies to --format email only");
  });
});

describe("significance marks", () => {
  const s = (mean: number, half: number, n = 5) => ({
    n,
    mean,
    sd: half,
    ciLow: mean - half,
    ciHigh: mean + half,
  });

  it("marks a change only when the 95% CIs do not overlap", async () => {
    expect(delta(s(100, 5), s(120, 5), "cycles").significant).toBe(true);
    expect(delta(s(100, 15), s(120, 15), "cycles").significant).toBe(false);
  });

  it("never marks single-seed values", async () => {
    expect(delta(s(100, 0, 1), s(120, 0, 1), "cycles").significant).toBe(false);
  });

  it("gives percent changes, and points for ratios", async () => {
    expect(delta(s(100, 1), s(150, 1), "cycles").text).toBe("+50.0%");
    expect(delta(s(200, 1), s(150, 1), "cycles").text).toBe("-25.0%");
    expect(delta(s(0.5, 0), s(0.75, 0), "ratio").text).toBe("+25.0pt");
    expect(delta(s(0, 0), s(3, 0), "count").text).toBe("n/a");
  });
});
