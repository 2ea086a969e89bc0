/**
 * A plugin that misbehaves fails its own cells only: one that allocates without bound is
 * stopped by the worker's memory limit (--cell-memory), one that replaces a built-in
 * (Array.prototype.push) cannot break the host's built-ins, and each is named.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { besideFixture } from "../helpers/cells.ts";
import { argv, pkslab, spawnPkslab } from "../helpers/cli.ts";

const FIXTURES = join(import.meta.dirname, "fixtures");
const ALLOCATES = join(FIXTURES, "allocates-forever.ts");
const REPLACES_PUSH = join(FIXTURES, "replaces-push.ts");
const REPLACES_ON_LOAD = join(FIXTURES, "replaces-push-on-load.ts");

const SMALL = ["--workloads", "pmem-dax", "--seeds", "2", "--cpus", "2"];
const SMALL_SET = ["--set", "pmem-dax.requests=20"];

describe("plugin memory limit", () => {
  it("fails only the allocating plugin's cells, naming the plugin and the limit, with 1 and 2 jobs", async () => {
    const run = await besideFixture(ALLOCATES);
    for (const jobs of [1, 2]) {
      const cells = await run(
        jobs,
        { ms: 60_000, setting: "--cell-timeout 60" },
        { mb: 160, setting: "--cell-memory 160" },
      );
      expect(cells.map((cell) => `${cell.strategy}:${cell.status}`)).toEqual([
        "unprotected:ok",
        "allocates-forever:failed",
        "pks-kmap:ok",
      ]);
      expect(cells[1].reason).toMatch(
        /^ran out of memory: the strategy plugin allocates-forever \(.*allocates-forever\.ts\) went past the cell memory limit of 160 MB \(--cell-memory 160\); stopped in allocates-forever\.onMap \(seed 1\)/,
      );
      expect(cells[0].runs).toHaveLength(2);
      expect(cells[2].runs).toHaveLength(2);
    }
  }, 180_000);

  it("--cell-memory on the command line: the other cells are kept, exit 1, the limit is in the reproduce line", async () => {
    const run = await pkslab`compare --plugin ${ALLOCATES}
      --strategies unprotected,allocates-forever ${SMALL} ${SMALL_SET} --cell-memory 160
      --format json`;
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout);
    expect(doc.results.map((c: { status: string }) => c.status)).toEqual(["ok", "failed"]);
    expect(doc.results[0].runs).toHaveLength(2);
    expect(doc.results[1].reason).toMatch(/cell memory limit of 160 MB \(--cell-memory 160\)/);
    expect(doc.context.reproduce).toContain("--cell-memory 160");
    // The failure is on stderr too, not only in the report's notes.
    expect(run.stderr).toMatch(
      /^pkslab: cell pmem-dax x allocates-forever failed: ran out of memory: .*--cell-memory 160/m,
    );
    const bad = await pkslab`compare --cell-memory -5`;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--cell-memory must be a whole number >= 0, got "-5"/);
  }, 180_000);
});

describe("plugins and the host's built-ins", () => {
  it("a plugin that replaces Array.prototype.push in its hooks fails its own cells, named; the rest complete", async () => {
    const pushBefore = Array.prototype.push;
    for (const jobs of ["1", "2"]) {
      const run = await pkslab`compare --plugin ${REPLACES_PUSH}
        --strategies unprotected,replaces-push,pks-kmap ${SMALL} ${SMALL_SET} --jobs ${jobs}
        --format json`;
      expect(run.code).toBe(1);
      const doc = JSON.parse(run.stdout);
      expect(doc.results.map((c: { status: string }) => c.status)).toEqual(["ok", "failed", "ok"]);
      expect(doc.results[1].reason).toMatch(
        /^plugin replaces-push \(.*replaces-push\.ts\) changed JavaScript built-ins \(Array\.prototype\.push\)/,
      );
      expect(doc.results[2].runs).toHaveLength(2);
    }
    expect(Array.prototype.push).toBe(pushBefore);
  }, 180_000);

  it("sweep: the plugin's cells fail at every point, each printed on stderr with its point, exit 1", async () => {
    const run = await pkslab`sweep --plugin ${REPLACES_PUSH}
      --strategies unprotected,replaces-push --workloads pmem-dax --seeds 1 ${SMALL_SET}
      --param cpus=2,4`;
    expect(run.code).toBe(1);
    const failed = run.stderr.split("\n").filter((line) => line.startsWith("pkslab: cell "));
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatch(
      /^pkslab: cell pmem-dax x replaces-push at cpus=2 failed: plugin replaces-push .*Array\.prototype\.push/,
    );
    expect(failed[1]).toMatch(/ at cpus=4 failed: /);
  }, 120_000);

  it("a plugin that replaces a built-in when it loads is refused (exit 2), named, and the built-in is put back", async () => {
    // In its own process: a module replacing a built-in at load would also hit vitest.
    const run = spawnPkslab(
      argv`compare --plugin ${REPLACES_ON_LOAD} --strategies unprotected,replaces-push-on-load
        ${SMALL} ${SMALL_SET}`,
      { env: { PKSLAB_NO_BUNDLE: "1" }, timeout: 120_000 },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /plugin .*replaces-push-on-load\.ts: cannot be loaded as a module: it changed JavaScript built-ins when it loaded \(Array\.prototype\.push\)/,
    );
    expect(run.stdout).toBe("");
  }, 120_000);
});
