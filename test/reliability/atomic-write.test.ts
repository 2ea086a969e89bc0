import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeFileAtomic } from "../../core/atomic-write.ts";
import { tempDir } from "../helpers/tmp.ts";

describe("writeFileAtomic: the whole file or the previous one", () => {
  it("replaces a file and leaves no temporary file behind", () => {
    const dir = tempDir("atomic");
    const path = join(dir, "report.json");
    writeFileSync(path, "previous\n");
    writeFileAtomic(path, "new content\n");
    expect(readFileSync(path, "utf8")).toBe("new content\n");
    expect(readdirSync(dir)).toEqual(["report.json"]);
  });

  it("a failed write leaves the previous file byte-identical and no temporary file", () => {
    const dir = tempDir("atomic");
    const path = join(dir, "report.json");
    writeFileSync(path, "previous\n");
    // Not a string or bytes: the write itself throws.
    expect(() => writeFileAtomic(path, {} as unknown as string)).toThrow();
    expect(readFileSync(path, "utf8")).toBe("previous\n");
    expect(readdirSync(dir)).toEqual(["report.json"]);
  });

  it("a failed rename (the target is a non-empty directory) removes the temporary file", () => {
    const dir = tempDir("atomic");
    const target = join(dir, "out");
    mkdirSync(target);
    writeFileSync(join(target, "keep"), "kept\n");
    expect(() => writeFileAtomic(target, "report\n")).toThrow();
    expect(readdirSync(dir)).toEqual(["out"]);
    expect(readFileSync(join(target, "keep"), "utf8")).toBe("kept\n");
  });
});
