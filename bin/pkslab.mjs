#!/usr/bin/env node
// Entry point installed as `pkslab`. The project is TypeScript; it runs from a bundle that
// esbuild rebuilds whenever the sources change (bin/cli-bundle.mjs), or, when that is not
// possible (or PKSLAB_NO_BUNDLE=1), from the sources through tsx. Either way tsx loads user
// plugins and config files written in TypeScript.
import { pathToFileURL } from "node:url";

async function loadMain() {
  if (process.env.PKSLAB_NO_BUNDLE !== "1") {
    try {
      const { bundledCli } = await import("./cli-bundle.mjs");
      const entry = await bundledCli();
      if (process.argv.includes("--debug")) process.setSourceMapsEnabled(true);
      return (await import(pathToFileURL(entry).href)).main;
    } catch (error) {
      if (process.argv.includes("--debug")) {
        process.stderr.write(
          `pkslab: running from the sources (no bundle: ${error?.message ?? error})\n`,
        );
      }
    }
  }
  const { register } = await import("tsx/esm/api");
  register();
  return (await import("../reports/cli/main.ts")).main;
}

const main = await loadMain();
process.exitCode = await main(process.argv);
