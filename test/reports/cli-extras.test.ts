import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { argv, pkslab } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

const SMALL = argv`--strategies unprotected,pks-kmap --workloads pmem-dax --cpus 2 --seeds 1
  --set pmem-dax.requests=10`;

function tinyTree(): string {
  const root = tempDir("tree");
  writeFileSync(join(root, "Makefile"), "VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 0\n");
  mkdirSync(join(root, "mm"));
  writeFileSync(join(root, "mm", "a.c"), "void f(struct page *p) { kmap(p); page_address(p); }\n");
  return root;
}

describe("compare --census, --format png", () => {
  it("--census adds the adoption table and names the census file in the reproduce line", async () => {
    const dir = tempDir("census");
    const census = join(dir, "census.json");
    const made = await pkslab`census --kernel-src ${tinyTree()} --format json --out ${census}`;
    expect(made.code).toBe(0);
    const run = await pkslab`compare ${SMALL} --census ${census}`;
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/adoption: kernel call sites to change/);
    expect(run.stdout.replaceAll(" \\\n    ", " ")).toContain(`--census ${census}`);
  });

  it("--census with a file that is not a census is refused (exit 2) before running", async () => {
    const dir = tempDir("census");
    const bogus = join(dir, "bogus.json");
    writeFileSync(bogus, '{"hello": 1}');
    const run = await pkslab`compare ${SMALL} --census ${bogus}`;
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/not a pkslab census/);
  });

  it("--format png --out DIR writes one PNG per chart; without --out it is refused", async () => {
    const dir = join(tempDir("png"), "charts");
    const run = await pkslab`compare ${SMALL} --format png --out ${dir}`;
    expect(run.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(
      [
        "coverage-caught.png",
        "coverage.png",
        "overview.png",
        "pmem-dax-breakdown.png",
        "pmem-dax-cycles.png",
      ].sort(),
    );
    const refused = await pkslab`compare ${SMALL} --format png`;
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/give a directory with --out/);
  });

  it("--format png into a missing parent directory is refused before running", async () => {
    const dir = join(tmpdir(), "pkslab-no-such-parent", "charts");
    const run = await pkslab`compare ${SMALL} --format png --out ${dir}`;
    expect(run.code).toBe(2);
    expect(existsSync(dir)).toBe(false);
  });
});

describe("compare --sensitivity", () => {
  it("reports, per workload, whether the ranking of strategies survives the cost ranges", async () => {
    const run = await pkslab`compare --strategies unprotected,pks-kmap,vmap-alias
      --workloads pmem-dax --cpus 2 --seeds 1 --set pmem-dax.requests=10 --sensitivity`;
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Sensitivity of the ranking \(profile server-2022\)/);
    expect(run.stdout).toMatch(/\d+ variants: each of \d+ unverified\/derived parameters/);
    expect(run.stdout).toMatch(/pmem-dax: unprotected < /);
  });

  it("--sensitivity cannot be combined with --from (nothing is run)", async () => {
    const run = await pkslab`compare --from results.json --sensitivity`;
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--from re-renders a saved result and cannot take --sensitivity/);
  });
});
