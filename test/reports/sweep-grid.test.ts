import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  gridPoints,
  parseSweepAxes,
  parseSweepMetrics,
} from "../../reports/commands/sweep-grid.ts";

import { argv, pkslab, runCli } from "../helpers/cli.ts";
import { nonEmptyEvery } from "../helpers/lists.ts";
import { tempDir } from "../helpers/tmp.ts";
import { matchesResultSchema, withOfflinePage } from "./helpers.ts";

const SMALL = argv`--strategies unprotected,pks-kmap --workloads pmem-dax --seeds 2
  --set pmem-dax.requests=20 --jobs 1`;
const TWO_METRICS = ["--metric", "cost.cycles_per_op,events.pkrs_writes"];
const GRID = ["--param", "cpus=1,4", "--param", "profile.wrmsr_pkrs_cycles=1,64,128"];

describe("two-parameter sweep: parsing", () => {
  it("builds the grid with the first parameter outermost", () => {
    const axes = parseSweepAxes(["cpus=1,4", "pmem-dax.pages=64,256,1024"]);
    expect(axes.map((a) => a.parameter)).toEqual(["cpus", "pmem-dax.pages"]);
    expect(gridPoints(axes)).toEqual([
      ["1", "64"],
      ["1", "256"],
      ["1", "1024"],
      ["4", "64"],
      ["4", "256"],
      ["4", "1024"],
    ]);
    expect(gridPoints(parseSweepAxes(["cpus=2,8"]))).toEqual([["2"], ["8"]]);
  });

  it("refuses a third parameter, a repeated one, a repeated value and a grid past 400 points", () => {
    expect(() => parseSweepAxes(["cpus=1", "pmem-dax.pages=64", "pmem-dax.requests=5"])).toThrow(
      /at most 2 --param flags/,
    );
    expect(() => parseSweepAxes(["machine.cpus=1,2", "cpus=4"])).toThrow(/cpus is swept twice/);
    expect(() => parseSweepAxes(["cpus=1,2,1"])).toThrow(/listed twice/);
    expect(() => parseSweepAxes(["cpus=1..100:+1", "pmem-dax.pages=1..5:+1"])).toThrow(
      /500 points \(100 values of cpus x 5 values of pmem-dax.pages\); at most 400/,
    );
    expect(() => parseSweepAxes([])).toThrow(/sweep needs --param/);
  });

  it("takes a metric list and names the valid metrics for an unknown one", () => {
    expect(parseSweepMetrics(undefined)).toEqual(["cost.cycles_per_op"]);
    expect(parseSweepMetrics("cost.cycles_per_op, events.shootdowns")).toEqual([
      "cost.cycles_per_op",
      "events.shootdowns",
    ]);
    expect(parseSweepMetrics("main")).toEqual([
      "cost.cycles_per_op",
      "events.pkrs_writes",
      "events.shootdowns",
      "events.tlb_misses",
      "coverage.blocked_ratio",
      "coverage.caught_ratio",
      "compat.false_faults",
      "exposure.fraction",
    ]);
    expect(parseSweepMetrics("main,cost.cycles_per_op")).toHaveLength(8);
    expect(() => parseSweepMetrics("events.shootdown")).toThrow(
      /unknown metric \(--metric\) "events.shootdown". Did you mean "events.shootdowns"\?/,
    );
  });
});

describe("two-parameter sweep: reports", () => {
  it("table: a row per grid point, grouped by the first parameter, a table per metric", async () => {
    const run = await pkslab`sweep ${SMALL} ${GRID} ${TWO_METRICS}`;
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("sweep cpus x profile.wrmsr_pkrs_cycles");
    expect(run.stdout).toContain("cpus swept");
    expect(run.stdout).toContain("points 6");
    expect(run.stdout).toContain("workload pmem-dax: cost.cycles_per_op (cycles/op)");
    expect(run.stdout).toContain("workload pmem-dax: events.pkrs_writes (count)");
    const tables = run.stdout.split("workload pmem-dax: ").slice(1);
    expect(tables).toHaveLength(2);
    for (const text of tables) {
      const rows = text.split("\n").filter((line) => /^│/.test(line));
      // Header plus 6 points; the first parameter's value only on the first row of its group.
      expect(rows).toHaveLength(7);
      expect(rows[0]).toMatch(/│ cpus │ profile.wrmsr_pkrs_cycles │ unprotected │\s+pks-kmap │/);
      const firstColumn = rows.slice(1).map((row) => row.split("│")[1].trim());
      expect(firstColumn).toEqual(["1", "", "", "4", "", ""]);
      const secondColumn = rows.slice(1).map((row) => row.split("│")[2].trim());
      expect(secondColumn).toEqual(["1", "64", "128", "1", "64", "128"]);
    }
    // A costlier WRMSR makes pks-kmap costlier at both CPU counts (it writes PKRS per map).
    const cycles = tables[0]
      .split("\n")
      .filter((line) => /^│/.test(line))
      .slice(1)
      .map((row) => Number(row.split("│")[4].trim().split(" ")[0]));
    expect(cycles[1]).toBeGreaterThan(cycles[0]);
    expect(cycles[2]).toBeGreaterThan(cycles[1]);
    expect(cycles[4]).toBeGreaterThan(cycles[3]);
    expect(cycles[5]).toBeGreaterThan(cycles[4]);
  });

  it("table: every built-in strategy still fits 120 columns (the change wraps under the mean)", async () => {
    const run = await pkslab`sweep --workloads pmem-dax --seeds 2 --set pmem-dax.requests=10
      --jobs 1 ${GRID}`;
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(120);
    const header = lines.find((line) => line.startsWith("│ cpus"));
    for (const name of [
      "unprotected",
      "pks-kmap",
      "vmap-alias",
      "no-direct-map",
      "kmap-local-range",
    ])
      expect(header).toContain(name);
    // A delta that wrapped stands alone on the next line of its row.
    expect(run.stdout).toMatch(/│\s+\([+-]\d+\.\d%\*?\) │/);
  });

  it("csv: both parameters in long form, every metric, seed and point", async () => {
    const run = await pkslab`sweep ${SMALL} ${GRID} ${TWO_METRICS} --format csv`;
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
    expect(lines[0]).toBe(
      "parameter,value,parameter2,value2,workload,strategy,seed,metric,value_of_metric",
    );
    // 6 points x 2 strategies x 2 seeds x 2 metrics.
    expect(lines).toHaveLength(1 + 6 * 2 * 2 * 2);
    expect(lines[1]).toMatch(
      /^cpus,1,profile\.wrmsr_pkrs_cycles,1,pmem-dax,unprotected,1,cost\.cycles_per_op,/,
    );
    expect(lines.at(-1)).toMatch(
      /^cpus,4,profile\.wrmsr_pkrs_cycles,128,pmem-dax,pks-kmap,2,events\.pkrs_writes,\d+$/,
    );
  });

  it("json and --save-dir: every point with both values and a schema-valid result", async () => {
    const dir = tempDir("grid");
    const run = await pkslab`sweep ${SMALL} ${GRID} --format json
      --save-dir ${join(dir, "points")}`;
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.sweepVersion).toBe(3);
    expect(doc.parameters).toEqual(["cpus", "profile.wrmsr_pkrs_cycles"]);
    expect(doc.metrics).toEqual(["cost.cycles_per_op"]);
    expect(doc.points.map((p: { values: string[] }) => p.values.join("/"))).toEqual([
      "1/1",
      "1/64",
      "1/128",
      "4/1",
      "4/64",
      "4/128",
    ]);
    for (const point of doc.points) {
      expect(matchesResultSchema(point.doc)).toBe(true);
      expect(point.doc.context.config.machine.cpus).toBe(Number(point.values[0]));
      expect(point.doc.context.costProfile.parameters.wrmsr_pkrs_cycles.value).toBe(
        Number(point.values[1]),
      );
      expect(point.doc.context.reproduce).toContain(`--cpus ${point.values[0]}`);
      expect(point.doc.context.reproduce).toContain(
        `--set profile.wrmsr_pkrs_cycles=${point.values[1]}`,
      );
    }
    expect(readdirSync(join(dir, "points")).sort()).toEqual(
      [
        "cpus=1_profile.wrmsr_pkrs_cycles=1.json",
        "cpus=1_profile.wrmsr_pkrs_cycles=128.json",
        "cpus=1_profile.wrmsr_pkrs_cycles=64.json",
        "cpus=4_profile.wrmsr_pkrs_cycles=1.json",
        "cpus=4_profile.wrmsr_pkrs_cycles=128.json",
        "cpus=4_profile.wrmsr_pkrs_cycles=64.json",
      ].sort(),
    );
  });

  it("html: a faceted chart per workload and metric, one panel per value of the second parameter", async () => {
    const out = join(tempDir("grid"), "grid.html");
    const run = await pkslab`sweep ${SMALL} ${GRID} ${TWO_METRICS} --out ${out}`;
    expect(run.code).toBe(0);
    const html = readFileSync(out, "utf8");
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(2);
    for (const svg of svgs) {
      // One panel header per value of profile.wrmsr_pkrs_cycles, each with its lines.
      for (const value of ["1", "64", "128"]) expect(svg).toContain(`>${value}</text>`);
      // A line per strategy in each of the three panels.
      expect((svg.match(/class="mark-line role-mark/g) ?? []).length).toBe(3 * 2);
    }
    expect(html).toContain("<th>cpus</th><th>profile.wrmsr_pkrs_cycles</th>");
    expect(html).not.toMatch(/<script/i);
  });

  it("png: one file per workload and metric", async () => {
    const dir = join(tempDir("grid"), "charts");
    const run = await pkslab`sweep ${SMALL} ${GRID} ${TWO_METRICS} --format png --out ${dir}`;
    expect(run.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([
      "pmem-dax-cost-cycles-per-op.png",
      "pmem-dax-events-pkrs-writes.png",
    ]);
    const png = readFileSync(join(dir, "pmem-dax-cost-cycles-per-op.png"));
    expect([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join("")).toBe("PNG");
    const none = await pkslab`sweep ${SMALL} ${GRID} --format png`;
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--format png writes one file per chart: give --out <dir>/);
  });

  it("shards of a grid merge into the unsharded report", async () => {
    const dir = tempDir("grid");
    const full = await pkslab`sweep ${SMALL} ${GRID} --format csv`;
    expect(full.code).toBe(0);
    const shards = [];
    for (const k of [1, 2, 3]) {
      const file = join(dir, `shard-${k}.json`);
      const run = await pkslab`sweep ${SMALL} ${GRID} --shard ${`${k}/3`} --out ${file}`;
      expect(run.code).toBe(0);
      expect(JSON.parse(readFileSync(file, "utf8")).parameters).toEqual([
        "cpus",
        "profile.wrmsr_pkrs_cycles",
      ]);
      shards.push(file);
    }
    const merged = await pkslab`merge ${shards} --format csv`;
    expect(merged.code).toBe(0);
    expect(merged.stdout).toBe(full.stdout);
  });

  it("refuses a swept parameter that is also --set, before running anything", async () => {
    const run = await pkslab`sweep ${SMALL} --param cpus=1,2 --param pmem-dax.requests=10,20`;
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/pmem-dax.requests is both swept \(--param\) and set \(--set\)/);
    expect(run.stdout).toBe("");
  });

  it.skipIf(process.env.PKSLAB_SKIP_BROWSER === "1")(
    "the grid's html page loads in Chromium offline with every panel drawn and no console errors",
    async () => {
      const out = join(tempDir("grid"), "grid.html");
      const run = await pkslab`sweep ${SMALL} ${GRID} --out ${out}`;
      expect(run.code).toBe(0);
      await withOfflinePage(out, async ({ page, external, errors }) => {
        expect(await page.title()).toBe("pkslab sweep of cpus x profile.wrmsr_pkrs_cycles");
        const svg = page.locator("svg");
        expect(await svg.count()).toBe(1);
        const box = await svg.first().boundingBox();
        // Three panels side by side: wider than one 220-pixel panel and its axis.
        expect(box?.width ?? 0).toBeGreaterThan(3 * 220);
        expect(await page.locator("svg .mark-line path").count()).toBe(3 * 2);
        expect(await page.locator("table tbody tr").count()).toBe(6);
        expect(external).toEqual([]);
        expect(errors).toEqual([]);
      });
    },
    60_000,
  );
});

describe("sweep --format email", () => {
  it("is plain ASCII within 72 columns, with a legend and a command that reproduces it", async () => {
    const args = argv`sweep ${SMALL} --strategies unprotected,pks-kmap,vmap-alias ${GRID}
      ${TWO_METRICS} --format email`;
    const run = await runCli(...args);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    for (const line of lines) {
      expect(line.length, line).toBeLessThanOrEqual(72);
      expect(line, line).toMatch(/^[\x20-\x7e]*$/);
    }
    expect(run.stdout).toContain("pmem-dax: cost.cycles_per_op (cycles/op, lower is better)");
    expect(run.stdout).toMatch(/^\s+cpus\s+wrmsr_pkrs_cycles\s+base\s+A\s+B$/m);
    expect(run.stdout).toContain("wrmsr_pkrs_cycles = profile.wrmsr_pkrs_cycles");
    expect(run.stdout).toContain("base = unprotected, seed mean");
    expect(run.stdout).toContain("A = pks-kmap, B = vmap-alias: change against base");
    // The reproduce command, unwrapped, reruns the same sweep and prints the same report.
    const command = run.stdout
      .slice(run.stdout.indexOf("reproduce: ") + "reproduce: ".length)
      .replace(/ \\\n {4}/g, " ")
      .trim();
    expect(command).toMatch(/^npx pkslab sweep /);
    expect(command).toContain("--param cpus=1,4 --param profile.wrmsr_pkrs_cycles=1,64,128");
    expect(command).not.toContain("--cpus");
    expect(command).not.toContain("--set profile.wrmsr_pkrs_cycles");
    const again = await pkslab`${command.split(" ").slice(2)}`;
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(run.stdout);
  });

  it("puts candidates that do not fit 72 columns into a further block", async () => {
    const run = await pkslab`sweep ${SMALL}
      --strategies unprotected,pks-kmap,vmap-alias,no-direct-map,kmap-local-range
      ${
        // Long parameter names leave room for two candidates a block.
        "--param"
      }
      profile.pkrs_cache_check_cycles=1,64
      --param ${
        // A long parameter name: its column leaves too little room for four candidates.
        "profile.ipi_handler_cycles=200,400"
      }
      --format email`;
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(72);
    const headers = lines.filter((line) => line.startsWith("  pkrs_cache_check_cycles"));
    // Four candidates, split over blocks that each repeat the parameters and base.
    expect(headers.length).toBeGreaterThanOrEqual(2);
    const letters = headers.map((line) => line.trim().split(/\s+/).slice(3).join(""));
    expect(letters.join("")).toBe("ABCD");
    expect(nonEmptyEvery(letters, (group) => group.length >= 1)).toBe(true);
  });
});
