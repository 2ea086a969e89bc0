/**
 * The CLI's prebuilt bundle (bin/cli-bundle.mjs): the command run from the bundle, with its
 * bundled worker threads, prints exactly what the sources run through tsx print, and still
 * loads TypeScript plugins.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { argv, spawnPkslab } from "../helpers/cli.ts";

/** Run from the sources through tsx instead of the bundle. */
const FROM_SOURCES = { env: { PKSLAB_NO_BUNDLE: "1" } };

/** The report without its commit line (the tree may move while the suite runs). */
const withoutCommit = (text: string) =>
  text
    .split("\n")
    .filter((line) => !line.startsWith("# pkslab commit"))
    .join("\n");

describe("the CLI bundle", () => {
  it("is built once per source state and reused", async () => {
    // @ts-expect-error: a plain JavaScript module without type declarations.
    const { bundledCli } = await import("../../bin/cli-bundle.mjs");
    const first: string = await bundledCli();
    expect(first).toMatch(/node_modules\/\.cache\/pkslab\/bundle-[0-9a-f]{16}\/main\.mjs$/);
    expect(existsSync(join(first, "..", "cell-worker.mjs"))).toBe(true);
    const built = statSync(first).mtimeMs;
    const second: string = await bundledCli();
    expect(second).toBe(first);
    expect(statSync(second).mtimeMs).toBe(built);
  });

  it("prints what the sources print, on worker threads too", () => {
    const args = argv`compare --strategies unprotected,pks-kmap,vmap-alias
      --workloads pmem-dax,xpfo-churn --seeds 2 --cpus 4 --format csv --jobs 2`;
    const bundled = spawnPkslab(args);
    const sources = spawnPkslab(args, FROM_SOURCES);
    expect(bundled.code, bundled.stderr).toBe(0);
    expect(sources.code, sources.stderr).toBe(0);
    expect(withoutCommit(bundled.stdout)).toBe(withoutCommit(sources.stdout));
    expect(bundled.stdout.split("\n").length).toBeGreaterThan(100);
  });

  it("runs the analyses' task modules on its worker threads (validate, claims, replay)", () => {
    const json = (text: string) => text.replace(/"gitCommit": "[^"]*"/g, '"gitCommit": ""');
    // Four cases and ten workload runs: enough for the runner to start a worker.
    const cases = ["p19-flush-1page", "p19-flush-2pages", "e10-fix-size", "e11-16k"];
    const runs = [
      ["validate", "--format", "json", ...cases.flatMap((id) => ["--case", id])],
      ["claims", "--no-robustness", "--format", "json"],
      ["replay", "test/fixtures/traces/hand-made.txt", "--format", "json"],
    ];
    for (const args of runs) {
      const threaded = spawnPkslab([...args, "--jobs", "2"]);
      const sources = spawnPkslab([...args, "--jobs", "1"], FROM_SOURCES);
      expect(threaded.code, threaded.stderr).toBe(0);
      expect(sources.code, sources.stderr).toBe(0);
      expect(json(threaded.stdout)).toBe(json(sources.stdout));
      expect(threaded.stdout.length).toBeGreaterThan(500);
    }
  }, 120_000);

  it("loads a TypeScript strategy plugin and reports user errors as the sources do", () => {
    const plugin = spawnPkslab(argv`compare --plugin examples/set-memory-ro.ts
      --strategies unprotected,set-memory-ro --workloads pmem-dax --seeds 1 --cpus 2
      --format csv`);
    expect(plugin.code, plugin.stderr).toBe(0);
    expect(plugin.stdout).toMatch(/^pmem-dax,set-memory-ro,ok,1,/m);
    const bad = ["compare", "--strategies", "pks-kmapp"];
    const fromBundle = spawnPkslab(bad);
    expect(fromBundle.code).toBe(2);
    expect(fromBundle.stderr).toMatch(/Did you mean "pks-kmap"\?/);
    expect(fromBundle.stderr).toBe(spawnPkslab(bad, FROM_SOURCES).stderr);
  });
});
