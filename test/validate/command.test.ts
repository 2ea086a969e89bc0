import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { UserInputError } from "../../core/errors.ts";
import { registerClaimsCommand } from "../../reports/analyses/claims/command.ts";
import {
  registerValidateCommand,
  VALIDATION_CASES,
} from "../../reports/analyses/validate/command.ts";
import { argv } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

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
    const dir = tempDir("validate");
    const broken = JSON.parse(readFileSync("core/profiles/server-2022.json", "utf8"));
    broken.parameters.invlpg_cycles.value = 880;
    const file = join(dir, "broken.json");
    writeFileSync(file, JSON.stringify(broken));
    const bad = await run(argv`validate --case p19-flush-2pages
      --profile-file ${`server-2022=${file}`}`);
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
    for (const command of ["validate", "claims"]) {
      for (const jobs of ["0", "1.5", "two"]) {
        const refused = run([command, "--jobs", jobs]);
        await expect(refused, `${command} --jobs ${jobs}`).rejects.toBeInstanceOf(UserInputError);
        await expect(refused).rejects.toThrow(/--jobs/);
      }
    }
  });

  it("validate and claims write the same JSON whatever --jobs", async () => {
    // One at a time: run() captures stdout.
    const validate: { out: string; code: number | undefined }[] = [];
    for (const jobs of ["1", "2"])
      validate.push(await run(["validate", "--format", "json", "--jobs", jobs]));
    expect(JSON.parse(validate[0].out).rows).toHaveLength(VALIDATION_CASES.length);
    expect(validate[1].out).toBe(validate[0].out);
    expect(validate[1].code).toBe(validate[0].code);
    // Without the robustness sweep: the base comparison's cells, one run per workload.
    const claims: string[] = [];
    for (const jobs of ["1", "2"]) {
      claims.push(
        (await run(["claims", "--no-robustness", "--format", "json", "--jobs", jobs])).out,
      );
    }
    expect(JSON.parse(claims[0]).claims).toHaveLength(8);
    expect(claims[1]).toBe(claims[0]);
  }, 120_000);

  it("claims --no-robustness prints every LSFMM claim with a verdict", async () => {
    const { out } = await run(["claims", "--no-robustness", "--format", "json"]);
    const report = JSON.parse(out);
    expect(report.claims).toHaveLength(8);
    for (const claim of report.claims) {
      expect(["supported", "refuted", "tie", "not decidable"]).toContain(claim.verdict);
    }
  }, 120_000);
});
