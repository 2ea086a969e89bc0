/**
 * Provenance (reports/provenance.ts): the model hash identifies the source of core/,
 * strategies/ and workloads/ and feeds the config hash; the commit carries a -dirty mark
 * when tracked files differ from it; the reproduce line is wrapped at spaces only.
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../core/package-root.ts";
import {
  commitLabel,
  gitCommit,
  gitState,
  joinReproduce,
  MODEL_DIRECTORIES,
  modelHash,
  reproduceLines,
  wrapAtSpaces,
} from "../../reports/results/provenance.ts";
import { configHash, parseResults } from "../../reports/results/results.ts";
import { argv, spawnPkslab } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";
import { GOLDEN_DIR } from "./helpers.ts";

/** A copy of the model's source directories. */
function copyModel(): string {
  const dir = tempDir("provenance");
  for (const sub of MODEL_DIRECTORIES)
    cpSync(join(PACKAGE_ROOT, sub), join(dir, sub), { recursive: true });
  return dir;
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });

describe("the model hash", () => {
  it("is the same for an identical copy of the source, and changes with any model file", () => {
    const here = modelHash();
    expect(here).toMatch(/^[0-9a-f]{12}$/);
    const same = copyModel();
    expect(modelHash(same)).toBe(here);
    // One changed byte in one strategy file: another model, another hash.
    const changed = copyModel();
    appendFileSync(join(changed, "strategies", "pks-kmap.ts"), "\n");
    expect(modelHash(changed)).not.toBe(here);
    // A renamed file with the same content is another model too (paths are hashed).
    const renamed = copyModel();
    cpSync(join(renamed, "core", "machine", "tlb.ts"), join(renamed, "core", "machine", "tlb2.ts"));
    rmSync(join(renamed, "core", "machine", "tlb.ts"));
    expect(modelHash(renamed)).not.toBe(here);
  });

  it("feeds the config hash: the same configuration on a changed model gets another hash", () => {
    const doc = parseResults(
      JSON.parse(readFileSync(join(GOLDEN_DIR, "small.json"), "utf8")),
      "small.json",
    );
    const changed = copyModel();
    writeFileSync(join(changed, "workloads", "extra.ts"), "export const x = 1;\n");
    const { config, costProfile } = doc.context;
    const a = configHash(config, costProfile, modelHash());
    const b = configHash(config, costProfile, modelHash(changed));
    expect(a).not.toBe(b);
    expect(configHash(config, costProfile)).toBe(a);
  });
});

describe("the model hash from the CLI bundle", () => {
  it("is the sources' hash: the bundle in node_modules/.cache reads the files from the package root", () => {
    const run = spawnPkslab(argv`validate --case p19-flush-1page --format json --debug`, {
      cwd: tmpdir(),
      env: { PKSLAB_NO_BUNDLE: "" },
    });
    expect(run.code, run.stderr).toBe(0);
    // --debug says so when the bundle could not be used and the sources ran instead.
    expect(run.stderr).not.toContain("running from the sources");
    const context = JSON.parse(run.stdout).context;
    expect(context.modelHash).toBe(modelHash());
    expect(context.gitCommit).toBe(gitCommit());
  }, 240_000);
});

describe("the git commit", () => {
  it("is marked -dirty when a tracked file changes, not for an untracked file", () => {
    const repo = tempDir("provenance");
    git(repo, "init", "-q");
    writeFileSync(join(repo, "package.json"), '{"name":"pkslab"}\n');
    git(repo, "add", "package.json");
    git(repo, "commit", "-q", "-m", "one");
    const head = git(repo, "rev-parse", "HEAD").trim();
    expect(gitState(repo)).toEqual({ commit: head, dirty: false });
    writeFileSync(join(repo, "scratch.txt"), "not tracked\n");
    expect(gitState(repo)?.dirty).toBe(false);
    appendFileSync(join(repo, "package.json"), "\n");
    expect(gitState(repo)).toEqual({ commit: head, dirty: true });
    expect(gitCommit(repo)).toBe(`${head}-dirty`);
    expect(commitLabel(gitCommit(repo))).toBe(`${head.slice(0, 12)}-dirty`);
  });

  it("is undefined outside a git checkout", () => {
    const plain = tempDir("provenance");
    expect(gitState(plain)).toBeUndefined();
    expect(gitCommit(plain)).toBeUndefined();
  });
});

describe("the reproduce line", () => {
  it("breaks only at spaces, within the width, and joins back into the same command", () => {
    const command =
      "npx pkslab compare --strategies unprotected,pks-kmap,vmap-alias,no-direct-map,kmap-local-range --workloads pmem-dax,btrfs-metadata,long-term-map --cpus 4 --seeds 5 --seed 1 --profile server-2022 --format email";
    const lines = reproduceLines(command, 72);
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(72);
    for (const line of lines.slice(0, -1)) expect(line.endsWith(" \\")).toBe(true);
    expect(joinReproduce(lines)).toBe(command);
    // Every word of the command is whole on some line.
    const words = lines.flatMap((line) => line.replace(/ \\$/, "").trim().split(" "));
    for (const word of command.split(" ")) expect(words).toContain(word);
  });

  it("never breaks inside a single-quoted word, whose spaces stay as they are", () => {
    const command = `npx pkslab census --kernel-src '/home/me/linux  trees/${"y".repeat(40)} 6.1' --arch x86 --format email`;
    const lines = reproduceLines(command, 40);
    expect(joinReproduce(lines)).toBe(command);
    expect(
      lines.some((line) => line.includes(`'/home/me/linux  trees/${"y".repeat(40)} 6.1'`)),
    ).toBe(true);
  });

  it("keeps a word longer than the width whole rather than splitting it", () => {
    const long = `--kernel-src /${"x".repeat(90)}`;
    const lines = wrapAtSpaces(`pkslab census ${long}`, 72, "    ", " \\");
    expect(lines.some((line) => line.includes(`/${"x".repeat(90)}`))).toBe(true);
  });
});
