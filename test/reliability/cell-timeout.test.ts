/**
 * A plugin hook that loops without charging the model cannot be stopped by the operation or
 * charge budgets; the cell timeout terminates its worker thread, fails that cell alone and
 * names the hook and the seed.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { besideFixture } from "../helpers/cells.ts";
import { pkslab } from "../helpers/cli.ts";

const LOOPS = join(import.meta.dirname, "fixtures", "loops-forever.ts");

describe("cell timeout", () => {
  it("stops a looping hook, fails only its cell and names the hook", async () => {
    const run = await besideFixture(LOOPS);
    for (const jobs of [1, 2]) {
      const started = Date.now();
      const cells = await run(jobs, { ms: 1500, setting: "--cell-timeout 1.5" });
      expect(Date.now() - started).toBeLessThan(60_000);
      expect(cells.map((cell) => `${cell.strategy}:${cell.status}`)).toEqual([
        "unprotected:ok",
        "loops-forever:failed",
        "pks-kmap:ok",
      ]);
      expect(cells[1].reason).toMatch(
        /^did not finish within 1\.5 s \(--cell-timeout 1\.5\): stopped in loops-forever\.onMap \(seed 1\)/,
      );
      expect(cells[0].runs).toHaveLength(2);
      expect(cells[2].runs).toHaveLength(2);
    }
  }, 120_000);

  it("--cell-timeout on the command line: the report completes, the looping cell fails, exit 1", async () => {
    const run = await pkslab`compare --plugin ${LOOPS} --strategies unprotected,loops-forever
      --workloads pmem-dax --seeds 1 --cpus 2 --set pmem-dax.requests=20 --cell-timeout 1
      --format json`;
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout);
    expect(doc.results.map((c: { status: string }) => c.status)).toEqual(["ok", "failed"]);
    expect(doc.results[1].reason).toMatch(
      /^did not finish within 1 s \(--cell-timeout 1\): stopped in loops-forever\.onMap \(seed 1\)/,
    );
    expect(doc.context.reproduce).toContain("--cell-timeout 1");
    const bad = await pkslab`compare --cell-timeout -1`;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--cell-timeout must be a non-negative number, got "-1"/);
  }, 120_000);

  it("check-plugin: a looping hook is stopped by --cell-timeout, named, exit 1; the output says what a plugin can reach", async () => {
    const started = Date.now();
    const run = await pkslab`check-plugin ${LOOPS} --cell-timeout 1`;
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^check-plugin loops-forever: FAIL/);
    expect(run.stdout).toMatch(
      /did not finish within 1 s \(--cell-timeout 1\): stopped in loops-forever\.onMap/,
    );
    expect(run.stderr).toMatch(/^pkslab: check-plugin loops-forever: did not finish within 1 s/m);
    expect(run.stdout).toMatch(/run with your privileges.*read and write every file/);
    const bad = await pkslab`check-plugin ${LOOPS} --cell-timeout x`;
    expect(bad.code).toBe(2);
  }, 120_000);
});
