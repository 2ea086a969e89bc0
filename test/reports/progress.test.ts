/**
 * The progress bar (cli-progress) appears on stderr only when stderr is a terminal, and
 * never on stdout, so that a redirected report is byte-for-byte the report.
 */
import { afterEach, describe, expect, it } from "vitest";
import { argv, pkslab } from "../helpers/cli.ts";

const SMALL = argv`--strategies unprotected,pks-kmap --workloads pmem-dax --seeds 1 --cpus 2
  --set pmem-dax.requests=10 --format csv`;

const original = Object.getOwnPropertyDescriptor(process.stderr, "isTTY");

function stderrIsTerminal(value: boolean): void {
  Object.defineProperty(process.stderr, "isTTY", { value, configurable: true });
}

afterEach(() => {
  if (original) Object.defineProperty(process.stderr, "isTTY", original);
  else delete (process.stderr as { isTTY?: boolean }).isTTY;
});

describe("progress bar", () => {
  it("compare and sweep draw it on a terminal's stderr", async () => {
    stderrIsTerminal(true);
    const compare = await pkslab`compare ${SMALL}`;
    expect(compare.code).toBe(0);
    expect(compare.stderr).toContain("comparing [");
    expect(compare.stderr).toMatch(/\d+\/2 cells/);
    expect(compare.stdout).not.toContain("comparing");
    const sweep = await pkslab`sweep ${SMALL} --param pmem-dax.pages=64,128`;
    expect(sweep.code).toBe(0);
    expect(sweep.stderr).toContain("sweeping [");
    expect(sweep.stdout).not.toContain("sweeping");
  });

  it("stays silent when stderr is not a terminal", async () => {
    stderrIsTerminal(false);
    const compare = await pkslab`compare ${SMALL}`;
    expect(compare.code).toBe(0);
    expect(compare.stderr).toBe("");
  });
});
