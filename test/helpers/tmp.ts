/** Temporary directories of a test file, removed when its tests are done. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
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

/** Writes `text` to a file `fileName` in a new temporary directory; returns its path. */
export function tempFile(name: string, fileName: string, text: string): string {
  const path = join(tempDir(name), fileName);
  writeFileSync(path, text);
  return path;
}
