/**
 * Outputs are what their names say, and repeatable byte for byte: `--no-date` leaves the
 * only varying field (the run's date) out, so two runs compare equal with `cmp` whatever
 * `--jobs`; `--force-format` is the one way to write a format into a name of another.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pkslab } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { SMALL_ARGS } from "../reports/helpers.ts";

const dir = tempDir("outputs");

describe("--no-date: byte-identical JSON whatever --jobs", () => {
  it("compare: two runs (--jobs 1 and --jobs 2) write identical bytes, with no date", async () => {
    const files: Buffer[] = [];
    for (const jobs of ["1", "2"]) {
      const out = join(dir, `compare-${jobs}.json`);
      const run = await pkslab`compare ${SMALL_ARGS} --jobs ${jobs} --no-date --out ${out}`;
      expect(run.code, run.stderr).toBe(0);
      files.push(readFileSync(out));
    }
    expect(files[0].equals(files[1])).toBe(true);
    const doc = JSON.parse(files[0].toString("utf8"));
    expect(Object.keys(doc.context.run).sort()).toEqual(["host", "node"]);
  }, 120_000);

  it("compare without --no-date: the documents differ in context.run.date only", async () => {
    const docs: { context: { run: { date?: string } } }[] = [];
    for (const jobs of ["1", "2"]) {
      const run = await pkslab`compare ${SMALL_ARGS} --jobs ${jobs} --format json`;
      expect(run.code, run.stderr).toBe(0);
      docs.push(JSON.parse(run.stdout));
    }
    expect(typeof docs[0].context.run.date).toBe("string");
    for (const doc of docs) delete doc.context.run.date;
    expect(JSON.stringify(docs[0])).toBe(JSON.stringify(docs[1]));
  }, 120_000);

  it("sweep: --no-date JSON is byte-identical with --jobs 1 and --jobs 2", async () => {
    const files: Buffer[] = [];
    for (const jobs of ["1", "2"]) {
      const out = join(dir, `sweep-${jobs}.json`);
      const run = await pkslab`sweep --strategies unprotected,pks-kmap --workloads pmem-dax
        --seeds 2 --param cpus=2,4 --jobs ${jobs} --no-date --out ${out}`;
      expect(run.code, run.stderr).toBe(0);
      files.push(readFileSync(out));
    }
    expect(files[0].equals(files[1])).toBe(true);
    expect(files[0].toString("utf8")).not.toMatch(/"date"/);
  }, 120_000);
});

describe("--out names and formats", () => {
  it("--force-format writes the chosen format into a name of another; .txt gets a table", async () => {
    const csv = join(dir, "forced.csv");
    const forced = await pkslab`compare ${SMALL_ARGS} --format json --out ${csv} --force-format`;
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(readFileSync(csv, "utf8")).schemaVersion).toBeDefined();
    const txt = join(dir, "report.txt");
    const table = await pkslab`compare ${SMALL_ARGS} --out ${txt}`;
    expect(table.code, table.stderr).toBe(0);
    expect(readFileSync(txt, "utf8")).toMatch(/^workload pmem-dax$/m);
  }, 120_000);
});
