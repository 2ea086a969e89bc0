import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { parseSweepValues } from "../../reports/commands/sweep-grid.ts";

import { argv, pkslab } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

const schema = JSON.parse(
  readFileSync(
    join(import.meta.dirname, "..", "..", "reports", "results", "schema", "results.schema.json"),
    "utf8",
  ),
);
const validate = new Ajv2020({ strict: false }).compile(schema);
const SMALL = argv`--strategies unprotected,pks-kmap --workloads pmem-dax --seeds 2 --cpus 4`;

describe("sweep values", () => {
  it("takes lists, geometric and arithmetic ranges", () => {
    expect(parseSweepValues("64,256, 1024")).toEqual(["64", "256", "1024"]);
    expect(parseSweepValues("1..64:x4")).toEqual(["1", "4", "16", "64"]);
    expect(parseSweepValues("0..100:+25")).toEqual(["0", "25", "50", "75", "100"]);
    expect(parseSweepValues("0.1..0.3:+0.1")).toEqual(["0.1", "0.2", "0.3"]);
  });

  it("refuses empty, inverted and runaway ranges", () => {
    for (const bad of ["", "10..1:x2", "0..8:x2", "1..8:x1", "0..100000:+1"]) {
      expect(() => parseSweepValues(bad), bad).toThrow(/--vary/);
    }
  });
});

describe("pkslab sweep", () => {
  it("reports the metric per value and strategy, and saves schema-valid points", async () => {
    const dir = tempDir("sweep");
    const run = await pkslab`sweep ${SMALL} --vary profile.wrmsr_pkrs_cycles=1,64
      --save-dir ${dir}`;
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("sweep profile.wrmsr_pkrs_cycles");
    expect(run.stdout).toContain("not measurements of a real machine");
    expect(run.stdout).toMatch(/│\s+64 │/);
    const files = readdirSync(dir).sort();
    expect(files).toEqual([
      "profile.wrmsr_pkrs_cycles=1.json",
      "profile.wrmsr_pkrs_cycles=64.json",
    ]);
    for (const file of files) {
      const doc = JSON.parse(readFileSync(join(dir, file), "utf8"));
      expect(validate(doc), file).toBe(true);
      expect(doc.context.reproduce).toContain("--set profile.wrmsr_pkrs_cycles=");
    }
  });

  it("prints long-form CSV with the swept value", async () => {
    const run = await pkslab`sweep ${SMALL} --vary pmem-dax.requests=20,40 --format csv`;
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
    expect(lines[0]).toBe("parameter,value,workload,strategy,seed,metric,value_of_metric");
    expect(lines).toHaveLength(1 + 2 * 2 * 2);
    expect(lines[1]).toMatch(/^pmem-dax\.requests,20,pmem-dax,unprotected,1,cost\.cycles_per_op,/);
  });

  it("writes a self-contained HTML page with one chart per workload (format from --out)", async () => {
    const out = join(tempDir("sweep"), "sweep.html");
    const run = await pkslab`sweep ${SMALL} --vary pmem-dax.requests=20,40 --out ${out}`;
    expect(run.code).toBe(0);
    const html = readFileSync(out, "utf8");
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html.match(/<svg/g)?.length).toBe(1);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain("not measurements of a real machine");
  });

  it("exits 2 on a bad target, a bad value or a bad metric, before running anything", async () => {
    for (const args of [
      ["--vary", "pmem-dx.requests=1,2"],
      ["--vary", "pmem-dax.requests=10,lots"],
      ["--vary", "pmem-dax.requests"],
      ["--vary", "pmem-dax.requests=1,2", "--metric", "cost.nope"],
      ["--vary", "pmem-dax.requests=1,2", "--set", "pmem-dax.requests=5"],
    ]) {
      const run = await pkslab`sweep ${SMALL} ${args}`;
      expect(run.code, args.join(" ")).toBe(2);
    }
  });
});
