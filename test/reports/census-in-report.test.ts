import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCensus } from "../../reports/analyses/census/census.ts";
import { censusBlock, parseCensusJson } from "../../reports/analyses/census/load.ts";
import { renderCensus } from "../../reports/analyses/census/render.ts";
import { renderDocument } from "../../reports/commands/output.ts";

import { EMAIL_WIDTH } from "../../reports/render/email.ts";
import { parseResults, type ResultDocument } from "../../reports/results/results.ts";
import { tempDir } from "../helpers/tmp.ts";
import { GOLDEN_DIR, validResults } from "./helpers.ts";

/** A two-file tree: one kmap() call and two page_address() calls outside any kmap. */
function tinyCensus() {
  const root = tempDir("tree");
  writeFileSync(join(root, "Makefile"), "VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 0\n");
  mkdirSync(join(root, "fs", "demo"), { recursive: true });
  writeFileSync(
    join(root, "fs", "demo", "a.c"),
    "void f(struct page *p) { char *a = kmap(p); kunmap(p); }\n",
  );
  writeFileSync(
    join(root, "fs", "demo", "b.c"),
    "void g(struct page *p) { memset(page_address(p), 0, 8); use(page_address(p)); }\n",
  );
  const json = renderCensus(runCensus({ kernelSrc: root }), "json");
  return censusBlock(parseCensusJson(json, "tiny census"));
}

const base = parseResults(
  JSON.parse(readFileSync(join(GOLDEN_DIR, "small.json"), "utf8")),
  "small.json",
);
const doc: ResultDocument = { ...base, census: tinyCensus() };

describe("compare --census: adoption figures in the comparison report", () => {
  it("the result document carries the census block and still validates against the schema", () => {
    const checked = validResults(JSON.stringify(doc), "doc with census");
    expect(checked.census?.adoption.find((row) => row.strategy === "pks-kmap")?.sites).toBe(4);
  });

  it("every text format shows the adoption block with each strategy's site count", async () => {
    for (const format of ["table", "markdown", "email", "html"] as const) {
      const text = await renderDocument(doc, format);
      expect(text, format).toMatch(/[Aa]doption: kernel call sites to change/);
      const plain = text.replace(/<[^>]+>/g, " ");
      expect(plain, format).toMatch(/pks-kmap\W+4\b/);
      expect(plain, format).toMatch(/unprotected\W+0\b/);
    }
  });

  it("email stays ASCII within 72 columns with the adoption block", async () => {
    const text = await renderDocument(doc, "email");
    for (const line of text.split("\n")) expect(line.length).toBeLessThanOrEqual(EMAIL_WIDTH);
  });

  it("without --census there is no adoption block", async () => {
    expect(await renderDocument(base, "table")).not.toMatch(/adoption/i);
  });
});
