/**
 * Every analysis (replay, sweep, validate, claims, census) carries the context block of
 * reports/provenance.ts: tool version, commit (with -dirty), config and model hashes, the
 * disclaimer, and a reproduce line that, run, prints the same output.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  commitLabel,
  gitCommit,
  joinReproduce,
  modelHash,
} from "../../reports/results/provenance.ts";
import { argv, pkslab, runCli } from "../helpers/cli.ts";

/** The reproduce line of a text output, joined back from its ` \` continuations. */
function reproduceOf(text: string): string {
  const lines = text.split("\n");
  const start = lines.findIndex((line) => /^(# )?reproduce: /.test(line));
  expect(start, "a reproduce line").toBeGreaterThanOrEqual(0);
  const taken: string[] = [];
  for (let i = start; i < lines.length; i++) {
    const line = lines[i].replace(/^# /, "");
    taken.push(line);
    if (!line.endsWith(" \\")) break;
  }
  return joinReproduce(taken);
}

/** The argv of a reproduce line (its words are plain: no quoting needed in these tests). */
function argvOf(command: string): string[] {
  const words = command.split(" ");
  expect(words.slice(0, 2)).toEqual(["npx", "pkslab"]);
  return words.slice(2);
}

/** Checks the context block's fields in a text output. */
function expectContext(
  text: string,
  what: string,
  disclaimer = "not measurements of a real machine",
): void {
  expect(text, what).toContain("pkslab 0.1.0");
  expect(text, what).toContain(`commit ${commitLabel(gitCommit())}`);
  expect(text, what).toMatch(/config [0-9a-f]{12}/);
  expect(text, what).toContain(`model ${modelHash()}`);
  // The disclaimer may be wrapped (email: 72 columns).
  expect(text.replace(/\s+/g, " "), what).toContain(disclaimer);
}

describe("validate carries the context block", () => {
  it("in every format, and its reproduce line reprints the same email byte for byte", async () => {
    const args = ["validate", "--case", "p19-flush-1page", "--case", "p19-flush-2pages"];
    for (const format of ["table", "markdown", "email", "csv"]) {
      const run = await runCli(...args, "--format", format);
      expect(run.code, run.stderr).toBe(0);
      expectContext(run.stdout, format);
      if (format !== "markdown") {
        expect(reproduceOf(run.stdout)).toBe(
          `npx pkslab validate ${args.slice(1).join(" ")}${format === "table" ? "" : ` --format ${format}`}`,
        );
      }
    }
    const json = JSON.parse((await runCli(...args, "--format", "json")).stdout);
    expect(json.context.modelHash).toBe(modelHash());
    expect(json.context.configHash).toMatch(/^[0-9a-f]{12}$/);
    expect(json.context.reproduce).toContain("--format json");
    const email = await runCli(...args, "--format", "email");
    for (const line of email.stdout.split("\n")) expect(line.length).toBeLessThanOrEqual(72);
    const again = await pkslab`${argvOf(reproduceOf(email.stdout))}`;
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(email.stdout);
  });
});

describe("claims carries the context block", () => {
  it("in every format, with a reproduce line that names its options and reprints the report", async () => {
    const args = ["claims", "--no-robustness", "--cpus", "2", "--seeds", "1"];
    const outputs: Record<string, string> = {};
    for (const format of ["table", "markdown", "email"]) {
      const run = await runCli(...args, "--format", format);
      expect(run.code, run.stderr).toBe(0);
      expectContext(run.stdout, format);
      outputs[format] = run.stdout;
    }
    const command = reproduceOf(outputs.email);
    expect(command).toBe("npx pkslab claims --cpus 2 --seeds 1 --no-robustness --format email");
    for (const line of outputs.email.split("\n")) expect(line.length).toBeLessThanOrEqual(72);
    const again = await pkslab`${argvOf(command)}`;
    expect(again.stdout).toBe(outputs.email);
    const json = JSON.parse((await runCli(...args, "--format", "json")).stdout);
    expect(json.context.modelHash).toBe(modelHash());
    expect(json.context.costProfile).toBe("server-2022");
    expect(json.context.reproduce).toContain("--format json");
  }, 120_000);
});

describe("replay carries the context block", () => {
  it("in table, markdown and JSON, and its reproduce line reprints the table", async () => {
    const trace = join(import.meta.dirname, "..", "fixtures", "traces", "hand-made.txt");
    const args = argv`replay ${trace} --strategies pks-kmap,vmap-alias --set held_buffers=3`;
    const table = await runCli(...args);
    expect(table.code, table.stderr).toBe(0);
    expectContext(table.stdout, "table");
    for (const line of table.stdout.split("\n").filter((l) => l.startsWith("reproduce"))) {
      expect(line.length).toBeLessThanOrEqual(120);
    }
    const command = reproduceOf(table.stdout);
    expect(command).toContain("--set held_buffers=3");
    const again = await pkslab`${argvOf(command)}`;
    expect(again.stdout).toBe(table.stdout);
    const markdown = await runCli(...args, "--format", "markdown");
    expectContext(markdown.stdout, "markdown");
    const json = JSON.parse((await runCli(...args, "--format", "json")).stdout);
    expect(json.context.modelHash).toBe(modelHash());
    expect(json.context.reproduce).toContain("--format json");
    expect(json.cells[0].elapsedMs).toBeUndefined();
  }, 60_000);
});

describe("sweep carries the context block", () => {
  it("in every format, with the point's model hash and a reproduce line for the sweep", async () => {
    const args = argv`sweep --strategies unprotected,pks-kmap --workloads pmem-dax --seeds 1
      --cpus 2 --param profile.wrmsr_pkrs_cycles=1,64`;
    for (const format of ["table", "markdown", "email", "csv", "html"]) {
      const run = await runCli(...args, "--format", format);
      expect(run.code, run.stderr).toBe(0);
      expectContext(run.stdout, format);
      if (format === "table" || format === "email" || format === "csv") {
        const command = reproduceOf(run.stdout);
        expect(command).toMatch(/^npx pkslab sweep /);
        expect(command).toContain("--param profile.wrmsr_pkrs_cycles=1,64");
      }
    }
    const table = await runCli(...args);
    const again = await pkslab`${argvOf(reproduceOf(table.stdout))}`;
    expect(again.stdout).toBe(table.stdout);
    const json = JSON.parse((await runCli(...args, "--format", "json")).stdout);
    expect(json.context.modelHash).toBe(modelHash());
    expect(json.context.modelHash).toBe(json.points[0].doc.context.modelHash);
    expect(json.context.reproduce).toContain("--format json");
  }, 120_000);
});

describe("census carries the context block", () => {
  it("in every format, with its own disclaimer and a reproduce line", async () => {
    // A minimal Linux tree (top-level Makefile with VERSION, mm/, fs/): census refuses others.
    const tree = join(import.meta.dirname, "..", "fixtures", "mini-linux");
    for (const format of ["table", "markdown", "email", "csv"]) {
      const run = await pkslab`census --kernel-src ${tree} --format ${format}`;
      expect(run.code, run.stderr).toBe(0);
      expectContext(run.stdout, format, "not model results");
      if (format !== "markdown") {
        expect(reproduceOf(run.stdout)).toBe(
          `npx pkslab census --kernel-src ${tree}${format === "table" ? "" : ` --format ${format}`}`,
        );
      }
    }
    const json = JSON.parse((await pkslab`census --kernel-src ${tree} --format json`).stdout);
    expect(json.context.modelHash).toBe(modelHash());
    expect(json.context.reproduce).toBe(`npx pkslab census --kernel-src ${tree} --format json`);
  });
});
