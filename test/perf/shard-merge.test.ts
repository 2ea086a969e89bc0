import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseShard } from "../../reports/commands/shards.ts";

import { argv, pkslab, runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

const SWEEP = argv`sweep --strategies unprotected,pks-kmap,vmap-alias
  --workloads pmem-dax,vmap-churn --seeds 2 --cpus 4 --vary profile.wrmsr_pkrs_cycles=1,16,64`;

/** Every saved point document of a directory, without `context.run` (date, host, node). */
function points(dir: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of readdirSync(dir).sort()) {
    const doc = JSON.parse(readFileSync(join(dir, name), "utf8"));
    delete doc.context.run;
    out[name] = doc;
  }
  return out;
}

describe("sweep --shard and merge", () => {
  it("merging every shard gives the unsharded sweep's report and point files", async () => {
    const dir = tempDir("shard");
    const full = await pkslab`${SWEEP} --format csv --save-dir ${join(dir, "full")} --jobs 1`;
    expect(full.code).toBe(0);
    const shards = [];
    for (const k of [1, 2, 3, 4]) {
      const file = join(dir, `shard-${k}.json`);
      const run = await pkslab`${SWEEP} --shard ${`${k}/4`} --out ${file} --jobs 1`;
      expect(run.code).toBe(0);
      shards.push(file);
    }
    // 3 points x 2 workloads x 3 strategies = 18 cells, dealt round robin.
    const sizes = shards.map((file) => JSON.parse(readFileSync(file, "utf8")).cells.length);
    expect(sizes).toEqual([5, 5, 4, 4]);
    const merged = await pkslab`merge ${shards.reverse()} --format csv
      --save-dir ${join(dir, "merged")}`;
    expect(merged.code).toBe(0);
    expect(merged.stdout).toBe(full.stdout);
    expect(points(join(dir, "merged"))).toEqual(points(join(dir, "full")));
  });

  it("refuses a missing, repeated or foreign shard", async () => {
    const dir = tempDir("shard");
    const files = [];
    for (const k of [1, 2]) {
      const file = join(dir, `s${k}.json`);
      expect((await pkslab`${SWEEP} --shard ${`${k}/2`} --out ${file} --jobs 1`).code).toBe(0);
      files.push(file);
    }
    const other = join(dir, "other.json");
    const args = SWEEP.map((a) =>
      a === "profile.wrmsr_pkrs_cycles=1,16,64" ? "profile.wrmsr_pkrs_cycles=2" : a,
    );
    expect((await runCli(...args, "--shard", "2/2", "--out", other, "--jobs", "1")).code).toBe(0);
    expect((await pkslab`merge ${files[0]}`).stderr).toMatch(/shard 2\/2 missing/);
    expect((await pkslab`merge ${files[0]} ${files[0]}`).stderr).toMatch(/given twice/);
    expect((await pkslab`merge ${files[0]} ${other}`).stderr).toMatch(/another sweep/);
  });

  it("parses k/n and rejects anything else", () => {
    expect(parseShard("3/8")).toEqual({ index: 3, count: 8 });
    for (const bad of ["0/2", "3/2", "1", "a/b", "1/0"])
      expect(() => parseShard(bad)).toThrow(/--shard/);
  });
});

describe("worker threads", () => {
  it("a sweep on two workers matches one worker", async () => {
    const one = await pkslab`${SWEEP} --format csv --jobs 1`;
    const two = await pkslab`${SWEEP} --format csv --jobs 2`;
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(two.stdout).toBe(one.stdout);
  });

  it("a multi-seed compare on two workers matches one worker", async () => {
    const args = ["compare", "--workloads", "pmem-dax,xpfo-churn", "--seeds", "3", "--cpus", "4"];
    const one = await runCli(...args, "--format", "csv", "--jobs", "1");
    const two = await runCli(...args, "--format", "csv", "--jobs", "2");
    expect(one.code).toBe(0);
    expect(two.stdout).toBe(one.stdout);
  });

  it("a cell split by seed over two threads matches one thread, errors and all", async () => {
    // Two cells on two jobs: each is run as one part per seed and put back together.
    const args = argv`compare --strategies vmap-alias,throws-on-map
      --plugin test/reports/fixtures/throws-on-map.ts --workloads pmem-dax --seeds 4 --cpus 4
      --baseline vmap-alias --format json`;
    const one = await runCli(...args, "--jobs", "1");
    const two = await runCli(...args, "--jobs", "2");
    expect(one.code).toBe(1);
    expect(two.code).toBe(1);
    const strip = (text: string) => {
      const doc = JSON.parse(text);
      delete doc.context.run;
      delete doc.context.config.jobs;
      return doc;
    };
    expect(strip(two.stdout)).toEqual(strip(one.stdout));
    const cells = JSON.parse(one.stdout).results;
    expect(cells[0].runs.map((run: { seed: number }) => run.seed)).toEqual([1, 2, 3, 4]);
    expect(cells[1].status).toBe("failed");
    expect(cells[1].reason).toMatch(/^seed 1: throws-on-map\.onMap threw/);
  });
});
