/**
 * The README's commands, run as a newcomer runs them (`npx pkslab ...` in the package, in
 * a process of its own, through the bundle): they succeed and print what the README says
 * they print. The model's numbers are the goldens' business (test/reports/golden.test.ts);
 * here, the shape of the output.
 */
import { describe, expect, it } from "vitest";
import { mergeCompareOptions } from "../../reports/run/config.ts";
import { resolveComparison } from "../../reports/run/plan.ts";
import { BUILTIN_STRATEGY_NAMES } from "../../strategies/registry.ts";
import { spawnPkslab } from "../helpers/cli.ts";

/** The tables of a text report: for each table, its rows' cells (continuation rows joined). */
function tables(text: string): string[][][] {
  const found: string[][][] = [];
  let rows: string[][] | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("┌")) rows = [];
    else if (line.startsWith("└") && rows) {
      found.push(rows);
      rows = undefined;
    } else if (rows && line.startsWith("│")) {
      const cells = line
        .slice(1, -1)
        .split("│")
        .map((cell) => cell.trim());
      // A row whose first cell is empty continues the row above (a wrapped cell).
      if (cells[0] === "" && rows.length > 0) {
        const above = rows[rows.length - 1];
        cells.forEach((cell, i) => {
          if (cell !== "") above[i] = `${above[i]} ${cell}`;
        });
      } else rows.push(cells);
    }
  }
  return found;
}

describe("README: npx pkslab compare", () => {
  it("exits 0 and prints a table per workload of the default matrix, every built-in strategy a row, then the overall", async () => {
    const run = spawnPkslab(["compare"], { npx: true });
    expect(run.code, run.stderr).toBe(0);
    const matrix = await resolveComparison(mergeCompareOptions({}));
    const workloads = matrix.workloads.map((w) => w.module.name);
    const strategies = matrix.strategies.map((s) => s.module.name);
    expect(strategies).toEqual([...BUILTIN_STRATEGY_NAMES]);
    expect(workloads.length).toBeGreaterThan(5);
    // Each workload's heading, in the matrix's order, each followed by its table.
    const headings = run.stdout.split("\n").filter((line) => line.startsWith("workload "));
    expect(headings).toEqual(workloads.map((name) => `workload ${name}`));
    const found = tables(run.stdout);
    expect(found.length).toBeGreaterThanOrEqual(workloads.length + 1);
    for (const [i, name] of workloads.entries()) {
      const [header, ...rows] = found[i];
      expect(header.slice(0, 3), name).toEqual(["strategy", "cycles/op", "vs base [95% CI]"]);
      // Every strategy once, in the matrix's order (a partial one marked "!"); every row
      // as wide as the header.
      expect(
        rows.map((row) => row[0].replace(/\s*!$/, "")),
        name,
      ).toEqual(strategies);
      for (const row of rows) expect(row.length, `${name} ${row[0]}`).toBe(header.length);
      expect(rows[0][2], name).toBe("base");
    }
    // The overall: every strategy but the baseline, with a change and its interval.
    const overall = found[workloads.length];
    expect(overall[0].slice(0, 3)).toEqual(["strategy", "change", "95% CI"]);
    expect(overall.slice(1).map((row) => row[0])).toEqual(
      strategies.filter((name) => name !== matrix.config.baseline),
    );
    for (const row of overall.slice(1)) {
      expect(row[1], row[0]).toMatch(/^[+-]\d+(\.\d+)?%\*?$/);
      expect(row[2], row[0]).toMatch(/^\[[+-][\d.]+, [+-][\d.]+\]$/);
    }
    // Only model results, said so before any number.
    expect(run.stdout.split("\n").slice(0, 3).join("\n")).toContain("not measurements");
  }, 240_000);
});

describe("README: npx pkslab --help, list, describe", () => {
  it("--help names every command the README uses", () => {
    const run = spawnPkslab(["--help"], { npx: true });
    expect(run.code, run.stderr).toBe(0);
    const commands = run.stdout
      .split("\n")
      .map((line) => /^ {2}([a-z-]+) /.exec(line)?.[1])
      .filter((name): name is string => name !== undefined);
    for (const name of [
      "compare",
      "sweep",
      "list",
      "describe",
      "check-plugin",
      "diff",
      "machines",
      "profile",
      "census",
      "validate",
      "claims",
      "replay",
      "merge",
    ]) {
      expect(commands, name).toContain(name);
    }
  });

  it("list shows every built-in strategy of the matrix, describe one of them", () => {
    const list = spawnPkslab(["list", "--json"], { npx: true });
    expect(list.code, list.stderr).toBe(0);
    const listed = JSON.parse(list.stdout);
    expect(listed.strategies.map((s: { name: string }) => s.name)).toEqual(
      expect.arrayContaining([...BUILTIN_STRATEGY_NAMES]),
    );
    const described = spawnPkslab(["describe", "pks-kmap"], { npx: true });
    expect(described.code, described.stderr).toBe(0);
    expect(described.stdout.split("\n")[0]).toMatch(/^pks-kmap \S+ \(built-in\)/);
  });
});
