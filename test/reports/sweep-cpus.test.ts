import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { argv, pkslab } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

const SMALL = argv`--strategies unprotected,vmap-alias --workloads pmem-dax --seeds 1
  --set pmem-dax.requests=10`;

describe("sweep --param cpus=... (the per-CPU scaling sweep)", () => {
  it("runs the comparison at each CPU count and saves each point with its machine", async () => {
    const dir = tempDir("sweep-cpus");
    const run = await pkslab`sweep ${SMALL} --param cpus=1,4,16 --save-dir ${dir}`;
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("sweep cpus");
    expect(run.stdout).toContain("cpus swept");
    for (const cpus of [1, 4, 16]) expect(run.stdout).toMatch(new RegExp(`│\\s+${cpus} │`));
    const files = readdirSync(dir).sort();
    expect(files.length).toBe(3);
    const machines = files.map(
      (file) => JSON.parse(readFileSync(join(dir, file), "utf8")).context.config.machine.cpus,
    );
    expect(machines.sort((a: number, b: number) => a - b)).toEqual([1, 4, 16]);
  });

  it("--vary is an alias of --param; the same parameter twice, or cpus with --cpus, is refused", async () => {
    const both = await pkslab`sweep ${SMALL} --param cpus=1,2 --vary cpus=1,2`;
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/cpus is swept twice/);
    const alias = await pkslab`sweep ${SMALL} --vary machine.cpus=1,2 --format csv`;
    expect(alias.code).toBe(0);
    expect(alias.stdout).toMatch(/^cpus,2,pmem-dax,vmap-alias,1,cost\.cycles_per_op,/m);
    const clash = await pkslab`sweep ${SMALL} --param cpus=1,2 --cpus 4`;
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/cpus is swept .* and set \(--cpus\)/);
    const bad = await pkslab`sweep ${SMALL} --param cpus=0,2`;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"0" is not a whole number of CPUs/);
    const none = await pkslab`sweep ${SMALL}`;
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/sweep needs --param/);
  });
});
