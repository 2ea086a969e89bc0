/**
 * Running the CLI from a test: in this process (`runCli`, `pkslab`), or as a child process
 * (`spawnPkslab`) where a test needs a process of its own (the bundle, a plugin that
 * replaces a built-in at load, another working directory). Command lines are written as
 * templates (`argv`), so that a test reads like the command a user types.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { vi } from "vitest";
import { main } from "../../reports/cli/main.ts";

/** The package root (where bin/pkslab.mjs is). */
export const ROOT = join(import.meta.dirname, "..", "..");

/** Output and exit code of one CLI invocation. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A piece of a command line: one argument, or several. */
export type ArgPiece = string | number | readonly (string | number)[];

/**
 * The arguments of a command line written as a template: the literal text splits at white
 * space, and each interpolated value is one argument whatever it holds (a path with spaces
 * stays whole); an interpolated array adds its items. `argv\`compare --plugin ${file} --seeds 1\``
 */
export function argv(strings: TemplateStringsArray, ...values: readonly ArgPiece[]): string[] {
  const out: string[] = [];
  strings.forEach((text, i) => {
    out.push(...text.split(/\s+/).filter((word) => word !== ""));
    if (i < values.length) {
      const value = values[i];
      if (Array.isArray(value)) out.push(...value.map(String));
      else out.push(String(value));
    }
  });
  return out;
}

/** Runs the CLI in-process, capturing stdout and stderr. */
export async function runCli(...args: string[]): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  process.exitCode = undefined;
  try {
    const code = await main(["node", "pkslab", ...args]);
    return { code, stdout, stderr };
  } finally {
    process.exitCode = undefined;
    out.mockRestore();
    err.mockRestore();
  }
}

/** Runs the CLI in-process with a command line written as a template (see `argv`). */
export function pkslab(strings: TemplateStringsArray, ...values: readonly ArgPiece[]) {
  return runCli(...argv(strings, ...values));
}

/** How a child process runs the CLI. */
export interface SpawnOptions {
  /** Extra environment (over this process's). */
  readonly env?: Record<string, string>;
  /** The working directory (the package root by default). */
  readonly cwd?: string;
  /** Killed after this long (ms). */
  readonly timeout?: number;
  /** Through `npx pkslab` (as the README says), not `node bin/pkslab.mjs`. */
  readonly npx?: boolean;
}

/** Runs `node bin/pkslab.mjs ARGS` (or `npx pkslab ARGS`) in a process of its own. */
export function spawnPkslab(args: readonly string[], options: SpawnOptions = {}): CliRun {
  const [command, head] = options.npx
    ? ["npx", ["--no-install", "pkslab"]]
    : [process.execPath, [join(ROOT, "bin", "pkslab.mjs")]];
  const run = spawnSync(command, [...head, ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: "utf8",
    env: { ...process.env, ...options.env },
    timeout: options.timeout ?? 240_000,
  });
  // A child killed by a signal (a timeout) has no status: reported as -1, never 0.
  return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}
