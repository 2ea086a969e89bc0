/**
 * Typed plugin options (docs/plugins.md): the fixtures test/fixtures/typed-plugin.ts and
 * typed-workload.ts, written from that page, compile with no cast; each of their
 * `@ts-expect-error` misuses is a compile error; and loaded as `--plugin`s, their options
 * and parameters arrive parsed from `--set` text, or the command exits 2.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../core/package-root.ts";
import { pkslab } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { validResults } from "../reports/helpers.ts";

const FIXTURES = join(PACKAGE_ROOT, "test", "fixtures");
const STRATEGY = join(FIXTURES, "typed-plugin.ts");
const WORKLOAD = join(FIXTURES, "typed-workload.ts");
const DIRECTIVE = "// @ts-expect-error";

/**
 * Type-checks copies of `files` with the project's compiler options, the directives kept
 * or neutralised (same line numbers); returns the lines with errors, per file.
 */
function compileErrors(files: readonly string[], keepDirectives: boolean): Map<string, number[]> {
  const dir = tempDir("typed");
  const copies = files.map((file) => {
    const copy = join(dir, file.split("/").pop()!);
    let text = readFileSync(file, "utf8").replaceAll(
      /from "\.\.\/\.\.\//g,
      `from "${PACKAGE_ROOT}/`,
    );
    if (!keepDirectives) text = text.replaceAll(DIRECTIVE, "// (directive removed)");
    writeFileSync(copy, text);
    return copy;
  });
  const config = join(dir, "tsconfig.json");
  writeFileSync(
    config,
    JSON.stringify({
      extends: join(PACKAGE_ROOT, "tsconfig.json"),
      compilerOptions: { typeRoots: [join(PACKAGE_ROOT, "node_modules", "@types")] },
      include: [],
      files: copies,
    }),
  );
  let output = "";
  try {
    execFileSync(join(PACKAGE_ROOT, "node_modules", ".bin", "tsc"), ["--noEmit", "-p", config], {
      encoding: "utf8",
    });
  } catch (error) {
    output = String((error as { stdout?: string }).stdout ?? "");
  }
  const errors = new Map<string, number[]>(files.map((file) => [file, []]));
  for (const match of output.matchAll(/^(\S+?)\((\d+),\d+\): error TS\d+/gm)) {
    const index = copies.findIndex((copy) => match[1].endsWith(copy.split("/").pop()!));
    // An error in a file other than the copies (the package itself) is a failure too.
    const file = index >= 0 ? files[index] : match[1];
    errors.set(file, [...(errors.get(file) ?? []), Number(match[2])]);
  }
  return errors;
}

/** The lines just after each directive of a file (1-based). */
function misuseLines(file: string): number[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .flatMap((line, index) => (line.trim().startsWith(DIRECTIVE) ? [index + 2] : []));
}

describe("typed plugin options, from docs/plugins.md", () => {
  it("compiles as written, and every @ts-expect-error misuse is a compile error", () => {
    const files = [STRATEGY, WORKLOAD];
    for (const file of files) expect(misuseLines(file).length, file).toBeGreaterThanOrEqual(4);
    expect(Object.fromEntries(compileErrors(files, true))).toEqual(
      Object.fromEntries(files.map((file) => [file, []])),
    );
    const without = compileErrors(files, false);
    for (const file of files) {
      expect(
        [...new Set(without.get(file))].sort((a, b) => a - b),
        file,
      ).toEqual(misuseLines(file));
    }
  }, 60_000);

  /** The strategy's reported counters in a compare of the two fixtures, one seed. */
  async function counters(...sets: string[]): Promise<Record<string, number>> {
    const run = await pkslab`compare --plugin ${STRATEGY} --plugin ${WORKLOAD}
      --strategies typed-plugin --workloads typed-workload --seeds 1 --cpus 2
      ${sets.flatMap((set) => ["--set", set])} --format json`;
    expect(run.code, run.stderr).toBe(0);
    const [cell] = validResults(run.stdout, "stdout").results;
    expect(cell.status).toBe("ok");
    const metrics = cell.runs[0].metrics;
    return Object.fromEntries(
      Object.entries(metrics)
        .filter(([name]) => name.startsWith("strategy."))
        .map(([name, value]) => [name.slice("strategy.".length), value]),
    );
  }

  it("loads both as --plugins; options and parameters arrive parsed from --set text", async () => {
    expect(await counters()).toMatchObject({
      batch: 8,
      eager: 0,
      flush_all: 0,
      maps: 40, // 20 requests on each of 2 threads
      global_maps: 0,
      write_maps: 40,
      write_unmaps: 40, // the per-mapping state came back at unmap
      flushes: 0,
    });
    expect(
      await counters(
        "typed-plugin.batch=4",
        "typed-plugin.eager=yes",
        "typed-plugin.flush=all",
        "typed-workload.requests=6",
        "typed-workload.scope=global",
        "typed-workload.write=off",
      ),
    ).toMatchObject({
      batch: 4,
      eager: 1,
      flush_all: 1,
      maps: 12,
      global_maps: 12,
      write_maps: 0,
      write_unmaps: 0,
      flushes: 3, // every 4th of 12 unmaps
    });
  }, 60_000);

  it("refuses an unknown option, a value of the wrong kind and one outside the choices (exit 2)", async () => {
    for (const set of [
      "typed-plugin.bacth=4",
      "typed-plugin.batch=many",
      "typed-plugin.batch=65",
      "typed-plugin.eager=maybe",
      "typed-plugin.flush=everything",
      "typed-workload.scope=long-term",
    ]) {
      const run = await pkslab`compare --plugin ${STRATEGY} --plugin ${WORKLOAD}
        --strategies typed-plugin --workloads typed-workload --set ${set}`;
      expect(run.code, set).toBe(2);
      expect(run.stdout, set).toBe("");
    }
  }, 60_000);
});
