// The CLI's prebuilt bundle: pkslab's own TypeScript sources compiled by esbuild into a few
// ES modules (dependencies stay external), kept in node_modules/.cache/pkslab and rebuilt
// whenever a source file changes. Running from it skips tsx's per-module loader hooks (about
// 1.5 s of every start here) and lets worker threads start without registering tsx at all.
// User plugins and TypeScript config files still load through tsx (tsImport/tsx's require),
// which works from the bundle as from the sources.
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const SOURCE_DIRECTORIES = ["core", "strategies", "workloads", "reports"];
const ENTRY_POINTS = {
  main: "reports/cli/main.ts",
  // Named like the tsx shim next to the sources, so that `new URL("./cell-worker.mjs",
  // import.meta.url)` finds the bundled worker when it runs from the bundle.
  "cell-worker": "reports/run/cell-worker.ts",
  // The analyses' task modules the worker imports (taskModule in reports/run/tasks.ts
  // finds them as ./<name>.mjs beside the bundle's chunks).
  "validate-case": "reports/analyses/validate/validate-case.ts",
  "claims-run": "reports/analyses/claims/claims-run.ts",
  "claims-trace-run": "reports/analyses/claims/claims-trace-run.ts",
  "replay-cell": "reports/analyses/replay/replay-cell.ts",
};
/** Bundles (of other source states) kept whatever their age. */
const KEEP = 3;
/**
 * Older bundles are removed once unused for this long: a long sweep may still be running
 * from one (its workers load their module when they start).
 */
const UNUSED_MS = 24 * 60 * 60 * 1000;

/** Every TypeScript source of the CLI, with size and modification time. */
function sourceStates() {
  const states = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".ts")) {
        const stat = statSync(full);
        states.push(`${relative(ROOT, full)}\0${stat.size}\0${stat.mtimeMs}`);
      }
    }
  };
  for (const dir of SOURCE_DIRECTORIES) walk(join(ROOT, dir));
  return states.sort();
}

/** A fingerprint of the sources, the bundler and this file: a bundle is reused only for it. */
function fingerprint(esbuildVersion) {
  const hash = createHash("sha256");
  hash.update(`${process.version}\0${esbuildVersion}\0`);
  hash.update(readFileSync(fileURLToPath(import.meta.url)));
  hash.update(readFileSync(join(ROOT, "package.json")));
  for (const state of sourceStates()) hash.update(`${state}\n`);
  return hash.digest("hex").slice(0, 16);
}

/** Removes the bundles beyond the KEEP most recently used that nothing used for a day. */
function prune(cache) {
  const now = Date.now();
  const bundles = readdirSync(cache)
    .filter((name) => name.startsWith("bundle-") && !name.includes(".tmp-"))
    .map((name) => ({ name, used: statSync(join(cache, name)).mtimeMs }))
    .sort((a, b) => b.used - a.used);
  for (const old of bundles.slice(KEEP)) {
    if (now - old.used > UNUSED_MS) rmSync(join(cache, old.name), { recursive: true, force: true });
  }
  // Half-built bundles of runs that were killed while building.
  for (const name of readdirSync(cache)) {
    if (name.includes(".tmp-") && now - statSync(join(cache, name)).mtimeMs > 60 * 60 * 1000) {
      rmSync(join(cache, name), { recursive: true, force: true });
    }
  }
}

/**
 * Returns the path of the bundled CLI entry (main.mjs), building it first when the sources
 * changed. Throws if esbuild or the cache directory is not available; the caller then runs
 * the sources through tsx instead.
 */
export async function bundledCli() {
  const esbuild = await import("esbuild");
  const cache = join(ROOT, "node_modules", ".cache", "pkslab");
  const target = join(cache, `bundle-${fingerprint(esbuild.version)}`);
  const main = join(target, "main.mjs");
  if (existsSync(main)) {
    // The directory's time says when it was last used (see prune).
    try {
      const now = new Date();
      utimesSync(target, now, now);
    } catch {
      // A read-only cache still serves its bundle.
    }
    return main;
  }
  mkdirSync(cache, { recursive: true });
  // Built beside the target and renamed into place, so that a concurrent run never sees a
  // half-written bundle; if another run got there first, its bundle is the same.
  const temporary = `${target}.tmp-${process.pid}-${Date.now()}`;
  try {
    await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: ENTRY_POINTS,
      outdir: temporary,
      outExtension: { ".js": ".mjs" },
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "node",
      target: "node20",
      packages: "external",
      sourcemap: "linked",
      logLevel: "silent",
    });
    try {
      renameSync(temporary, target);
    } catch (error) {
      if (!existsSync(main)) throw error;
    }
  } finally {
    rmSync(temporary, { recursive: true, force: true });
  }
  try {
    prune(cache);
  } catch {
    // Pruning is housekeeping: a concurrent run may have removed the same directory.
  }
  return main;
}
