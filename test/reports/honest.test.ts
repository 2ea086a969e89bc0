/**
 * Issue 15 end to end: cells that did not do their work get no numbers, partial ones a
 * mark and their counts, every text format its legend, statuses and glossary; the same
 * workload stream and the same strays reach every strategy of a workload.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderDocument } from "../../reports/commands/output.ts";

import { argv, pkslab, runCli } from "../helpers/cli.ts";
import { nonEmptyEvery } from "../helpers/lists.ts";
import { validResults } from "./helpers.ts";

const FIXTURE = join(import.meta.dirname, "fixtures", "refuses-some.ts");

describe("honest verdicts end to end", () => {
  it("pks-kmap on long-term-map is not ok, and its table row shows no cost number", async () => {
    const args = argv`compare --workloads long-term-map --strategies unprotected,pks-kmap`;
    const common = ["--seeds", "2", "--cpus", "4"];
    const json = await runCli(...args, ...common, "--format", "json");
    expect(json.code).toBe(0);
    const doc = validResults(json.stdout);
    const cell = doc.results.find((c) => c.strategy === "pks-kmap");
    expect(cell?.status).toBe("unsupported");
    expect(cell?.served.refusedMaps).toBe(cell?.served.maps);
    expect(cell?.vsBaseline).toBeUndefined();
    const table = await runCli(...args, ...common);
    const row = table.stdout.split("\n").find((line) => line.startsWith("│ pks-kmap"));
    expect(row).toBeDefined();
    const fields = (row as string).split("│").map((field) => field.trim());
    expect(fields[2]).toBe("unsupported");
    // No cost, change or coverage number anywhere in the row.
    expect(nonEmptyEvery(fields.slice(3), (field) => field === "" || field === "-")).toBe(true);
    expect(table.stdout).toMatch(/note: pks-kmap: unsupported: refused \d+ of \d+ maps/);
  });

  it("a partial cell: the email keeps to 72 ASCII columns with its mark, counts, legend and glossary", async () => {
    const run = await pkslab`compare --strategies ${`unprotected,${FIXTURE}`}
      --workloads pmem-dax,btrfs-metadata --seeds 2 --cpus 4 --format email`;
    expect(run.code).toBe(0);
    for (const line of run.stdout.split("\n")) {
      expect(line.length, line).toBeLessThanOrEqual(72);
      expect(line, line).toMatch(/^[\x20-\x7e]*$/);
    }
    // Wrapped lines joined back, to read the sentences.
    const text = run.stdout.replace(/\n {2,}/g, " ");
    expect(text).toContain("refuses-some !");
    expect(text).toMatch(/refuses-some ! partial: refused \d+ of \d+ maps/);
    expect(text).toContain("legend:");
    expect(text).toContain("paired t on per-seed log ratios");
    expect(text).toMatch(/status: ok = /);
    expect(text).toContain("strategies:");
    expect(text).toContain("refuses-some: Test fixture");
    // No star on a partial cell's change, and it is not in the overall.
    expect(text).not.toMatch(/refuses-some ![^\n]*\*/);
    // refuses-some is ok on no workload: no overall figure, named as such.
    expect(text).toContain("overall: no compared strategy is ok on any workload");
    expect(text).toContain("refuses-some: ok on no workload, so no overall figure");
  });

  it("labels mechanisms 6.1 does not have as proposed, in the JSON glossary and the text", async () => {
    const run = await pkslab`compare --workloads pmem-dax
      --strategies unprotected,kmap-local-range --seeds 1 --cpus 2 --format json`;
    const doc = validResults(run.stdout);
    const entry = doc.glossary.find((g) => g.strategy === "kmap-local-range");
    expect(entry?.proposed?.length).toBeGreaterThan(0);
    expect(doc.glossary.find((g) => g.strategy === "unprotected")?.proposed).toBeUndefined();
    const text = (await renderDocument(doc, "email")).replace(/\n {2,}/g, " ");
    expect(text).toMatch(/kmap-local-range: [^\n]*Proposed, not in 6\.1: /);
    expect(text).not.toMatch(/unprotected: [^\n]*Proposed/);
  });

  it("gives every strategy of a workload the same stream and the same strays", async () => {
    const run = await pkslab`compare --seeds 1 --cpus 4 --format json`;
    expect(run.code).toBe(0);
    const doc = validResults(run.stdout);
    for (const workload of new Set(doc.results.map((c) => c.workload))) {
      const cells = doc.results.filter((c) => c.workload === workload);
      const key = (c: (typeof cells)[number]) => {
        const m = c.runs[0].metrics;
        return JSON.stringify({
          injected: m["coverage.injected"],
          notApplicable: m["coverage.not_applicable"],
          operations: m["run.operations"],
        });
      };
      expect(new Set(cells.map(key)).size, workload).toBe(1);
    }
  }, 120_000);
});
