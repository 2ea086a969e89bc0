import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { argv, pkslab, runCli } from "../helpers/cli.ts";
import { nonEmptyEvery } from "../helpers/lists.ts";
import { tempDir } from "../helpers/tmp.ts";
import { validResults } from "../reports/helpers.ts";

const dir = tempDir("check");
const fixture = (name: string) => join(import.meta.dirname, "fixtures", name);
const SMALL = argv`--workloads pmem-dax --set pmem-dax.requests=30 --seeds 1 --cpus 2`;

describe("compare --check, --operation-budget and the always-on ledger check", () => {
  it("--check passes on the built-ins and names itself in the reproduce line", async () => {
    const out = join(dir, "checked.json");
    const run = await pkslab`compare ${SMALL} --strategies unprotected,pks-kmap --check
      --out ${out}`;
    expect(run.code).toBe(0);
    const doc = validResults(readFileSync(out, "utf8"), out);
    expect(nonEmptyEvery(doc.results, (cell) => cell.status === "ok")).toBe(true);
    expect(doc.context.reproduce).toContain(" --check");
  });

  it("a strategy that leaves protection open fails only with --check; the other cell completes", async () => {
    const args = ["compare", ...SMALL, "--strategies", `unprotected,${fixture("leaves-open.ts")}`];
    const unchecked = await runCli(...args, "--format", "json");
    expect(unchecked.code).toBe(0);
    const checked = await runCli(...args, "--format", "json", "--check");
    expect(checked.code).toBe(1);
    const doc = validResults(checked.stdout);
    const bad = doc.results.find((cell) => cell.strategy === "leaves-open");
    expect(bad?.status).toBe("failed");
    expect(bad?.reason).toMatch(/invariant violated: protection not back after unmap/);
    expect(doc.results.find((cell) => cell.strategy === "unprotected")?.status).toBe("ok");
  });

  it("--check and --operation-budget reach worker threads (--jobs 2, four cells)", async () => {
    const args = argv`compare --workloads pmem-dax,preempt-migrate --set pmem-dax.requests=30
      --set preempt-migrate.sections=5 --seeds 1 --cpus 2
      --strategies ${`unprotected,${fixture("leaves-open.ts")}`} --format json --jobs 2`;
    const checked = await runCli(...args, "--check");
    expect(checked.code).toBe(1);
    const doc = validResults(checked.stdout);
    const failed = doc.results.filter((cell) => cell.status === "failed");
    expect(failed.map((cell) => cell.strategy)).toEqual(["leaves-open", "leaves-open"]);
    const budget = await runCli(...args, "--operation-budget", "5");
    expect(budget.code).toBe(1);
    const budgeted = validResults(budget.stdout);
    expect(nonEmptyEvery(budgeted.results, (cell) => cell.status === "failed")).toBe(true);
    expect(budgeted.results[0].reason).toContain("operation budget of 5 exceeded");
  });

  it("a plugin that writes the ledger directly fails its cells even without --check", async () => {
    const run = await pkslab`compare ${SMALL}
      --strategies ${`unprotected,${fixture("ledger-writer.ts")}`} --format json`;
    expect(run.code).toBe(1);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    const doc = validResults(run.stdout);
    const bad = doc.results.find((cell) => cell.strategy === "ledger-writer");
    expect(bad?.status).toBe("failed");
    expect(bad?.reason).toMatch(/invariant violated: ledger: named parameters/);
    expect(doc.results.find((cell) => cell.strategy === "unprotected")?.status).toBe("ok");
  });

  it("--operation-budget fails the cells that run past it, with the reason; exit 1", async () => {
    const run = await pkslab`compare ${SMALL} --strategies unprotected --operation-budget 10
      --format json`;
    expect(run.code).toBe(1);
    const doc = validResults(run.stdout);
    expect(doc.results[0].status).toBe("failed");
    expect(doc.results[0].reason).toContain("operation budget of 10 exceeded");
    expect(doc.context.reproduce).toContain("--operation-budget 10");
  });

  it("check-plugin reports a charge outside the model with the check that caught it; exit 1", async () => {
    const run = await pkslab`check-plugin ${fixture("ledger-writer.ts")}`;
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("FAIL  every cycle is charged by the model");
    expect(run.stdout).toMatch(/come from no named parameter \(written directly/);
  });

  it("a user error prints its stack only with --debug", async () => {
    const plain = await pkslab`compare --strategies pks-kmapp`;
    expect(plain.code).toBe(2);
    expect(plain.stderr).not.toMatch(/^\s+at /m);
    const debug = await pkslab`compare --strategies pks-kmapp --debug`;
    expect(debug.code).toBe(2);
    expect(debug.stderr).toMatch(/^\s+at /m);
  });

  it("reads a TypeScript --config file like a JSON one", async () => {
    const run = await pkslab`compare --config ${fixture("config.ts")} --format json`;
    expect(run.code, run.stderr).toBe(0);
    const doc = validResults(run.stdout);
    expect(doc.results.map((cell) => cell.strategy)).toEqual(["unprotected", "pks-kmap"]);
    expect(doc.context.config.machine.cpus).toBe(2);
    expect(doc.context.reproduce).toContain("--set pmem-dax.requests=30");
    expect(doc.context.reproduce).toContain(" --check");
  });

  it("--check and --operation-budget are refused with --from", async () => {
    const run = await pkslab`compare --from ${join(dir, "checked.json")} --check`;
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--check");
  });
});
