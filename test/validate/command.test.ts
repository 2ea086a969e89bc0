import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { registerClaimsCommand } from "../../reports/claims/command.ts";
import { registerValidateCommand } from "../../reports/validate/command.ts";

function program(): Command {
  const p = new Command("pkslab").exitOverride();
  registerValidateCommand(p);
  registerClaimsCommand(p);
  for (const c of p.commands) c.exitOverride();
  return p;
}

async function run(args: string[]): Promise<{ out: string; code: number | undefined }> {
  let out = "";
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await program().parseAsync(["node", "pkslab", ...args]);
    return { out, code: process.exitCode as number | undefined };
  } finally {
    spy.mockRestore();
    process.exitCode = before;
  }
}

afterEach(() => vi.restoreAllMocks());

describe("pkslab validate / claims commands", () => {
  it("validate prints the case, exits 0 when it passes and 1 on a broken profile file", async () => {
    const ok = await run(["validate", "--case", "p19-flush-2pages", "--format", "csv"]);
    expect(ok.code ?? 0).toBe(0);
    expect(ok.out).toContain("p19-flush-2pages,P19,server-2022,1505,");
    const dir = mkdtempSync(join(tmpdir(), "pkslab-validate-"));
    const broken = JSON.parse(readFileSync("core/profiles/server-2022.json", "utf8"));
    broken.parameters.invlpg_cycles.value = 880;
    const file = join(dir, "broken.json");
    writeFileSync(file, JSON.stringify(broken));
    const bad = await run([
      "validate",
      "--case",
      "p19-flush-2pages",
      "--profile-file",
      `server-2022=${file}`,
    ]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain("FAIL");
    const written = join(dir, "out.md");
    await run(["validate", "--case", "p19-flush-1page", "--format", "markdown", "--out", written]);
    expect(readFileSync(written, "utf8")).toContain("| p19-flush-1page | P19 |");
  });

  it("bad input is a UserInputError", async () => {
    await expect(run(["validate", "--format", "yaml"])).rejects.toThrow(/unknown format "yaml"/);
    await expect(run(["validate", "--profile-file", "nonsense"])).rejects.toThrow(
      /expected <built-in profile name>=<path/,
    );
    await expect(run(["claims", "--no-builtin"])).rejects.toThrow(/no claims to check/);
  });

  it("claims --no-robustness prints every LSFMM claim with a verdict", async () => {
    const { out } = await run(["claims", "--no-robustness", "--format", "json"]);
    const report = JSON.parse(out);
    expect(report.claims).toHaveLength(8);
    for (const claim of report.claims) {
      expect(["supported", "refuted", "tie", "not decidable"]).toContain(claim.verdict);
    }
  }, 120_000);
});
