/** Temporary directories of a test file, removed when its tests are done. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A new empty directory `pkslab-NAME-XXXXXX` under the system's temporary directory. */
export function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `pkslab-${name}-`));
  made.push(dir);
  return dir;
}
