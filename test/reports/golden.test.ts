/**
 * Golden outputs of every format for one small fixed configuration. The input document,
 * test/golden/small.json, is a real run of SMALL_ARGS with context.run fixed; the renderer
 * goldens are derived from it, so model changes do not move them. Regenerate deliberately:
 * UPDATE_GOLDEN=1 npx vitest run test/reports rewrites the renderer goldens;
 * UPDATE_GOLDEN_INPUT=1 UPDATE_GOLDEN=1 also reruns the model for small.json.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { renderDocument } from "../../reports/commands/output.ts";

import { FORMATS } from "../../reports/render/index.ts";
import { parseResults, type ResultDocument } from "../../reports/results/results.ts";
import { pkslab } from "../helpers/cli.ts";
import { expectGolden, GOLDEN_DIR, normalizeRun, SMALL_ARGS } from "./helpers.ts";

const SMALL_JSON = join(GOLDEN_DIR, "small.json");

let doc: ResultDocument;

beforeAll(async () => {
  if (process.env.UPDATE_GOLDEN_INPUT === "1") {
    const run = await pkslab`compare ${SMALL_ARGS} --format json`;
    expect(run.code).toBe(0);
    writeFileSync(SMALL_JSON, `${JSON.stringify(normalizeRun(JSON.parse(run.stdout)), null, 2)}\n`);
  }
  doc = parseResults(JSON.parse(readFileSync(SMALL_JSON, "utf8")), SMALL_JSON);
});

describe("golden outputs of the small configuration", () => {
  it("covers 2 strategies x 2 workloads, 2 seeds, 4 CPUs", async () => {
    expect(doc.context.config.strategies.map((s) => s.name)).toEqual(["unprotected", "pks-kmap"]);
    expect(doc.context.config.workloads.map((w) => w.name)).toEqual(["pmem-dax", "btrfs-metadata"]);
    expect(doc.context.config.seeds).toEqual([1, 2]);
    expect(doc.context.config.machine.cpus).toBe(4);
    expect(doc.results).toHaveLength(4);
  });

  for (const format of FORMATS) {
    it(`renders ${format} as in its golden file`, async () => {
      expectGolden(`small.${format}.golden`, await renderDocument(doc, format));
    });
  }

  it("names the version, config hash, profile, seeds and the model disclaimer in every format", async () => {
    for (const format of FORMATS) {
      const text = await renderDocument(doc, format);
      expect(text, format).toContain(doc.context.tool.version);
      expect(text, format).toContain(doc.context.configHash);
      expect(text, format).toContain(doc.context.costProfile.name);
      if (format === "json") expect(JSON.parse(text).context.config.seeds).toEqual([1, 2]);
      else expect(text, format).toMatch(/seeds.{0,6}1,2/);
      expect(text, format).toContain("not measurements of a real machine");
    }
  });

  it("fits the terminal table in 120 columns", async () => {
    for (const line of (await renderDocument(doc, "table")).split("\n")) {
      expect(line.length, line).toBeLessThanOrEqual(120);
    }
  });
});
