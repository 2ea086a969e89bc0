/**
 * The directory of pkslab's package.json. Found by walking up from this module, so that it
 * is the same whether the sources run through tsx or from the prebuilt bundle that
 * `bin/pkslab.mjs` keeps in node_modules/.cache (both live inside the package).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    const candidate = join(dir, "package.json");
    if (existsSync(candidate)) {
      try {
        if (JSON.parse(readFileSync(candidate, "utf8")).name === "pkslab") return dir;
      } catch {
        // Not ours (or unreadable): keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`pkslab: no package.json of pkslab above ${start}`);
    dir = parent;
  }
}

/** Absolute path of the package's root directory. */
export const PACKAGE_ROOT: string = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
