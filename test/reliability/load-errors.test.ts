/**
 * Why a user module did not load (core/load-module.ts loadErrorMessage): a syntax error
 * gives the line and column from the parser's own report, counted in characters from 1.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { importUserModule, loadErrorMessage } from "../../core/load-module.ts";
import { tempDir } from "../helpers/tmp.ts";

const dir = tempDir("load-errors");

async function loadError(name: string, source: string): Promise<string> {
  const file = join(dir, name);
  writeFileSync(file, source);
  try {
    await importUserModule(file);
  } catch (error) {
    return loadErrorMessage(error, file);
  }
  throw new Error(`${name} loaded`);
}

describe("loadErrorMessage", () => {
  it("gives esbuild's line and a column in characters (not UTF-8 bytes) for TypeScript", async () => {
    // The location is ours; what follows it is esbuild's own description, whatever it says.
    expect(await loadError("accents.ts", 'const s = "ééé";\nlet x = ( => 1;\n')).toMatch(
      /^syntax error at line 2, column 11: \S/,
    );
    expect(await loadError("accents-same-line.ts", 'const s = "ééé"; let x = ( => 1;\n')).toMatch(
      /^syntax error at line 1, column 28: \S/,
    );
  });

  it("counts the further errors of esbuild's report", () => {
    const file = join(dir, "gone.ts");
    const error = new Error(
      `Transform failed with 2 errors:\n${file}:1:4: ERROR: Expected ";"\n${file}:3:0: ERROR: Unexpected "}"`,
    );
    expect(loadErrorMessage(error, file)).toBe(
      'syntax error at line 1, column 5: Expected ";" (and 1 more error)',
    );
  });

  it("gives V8's line and column for a JavaScript ES module", async () => {
    expect(await loadError("bad.mjs", "export default {\n  create: ( => 1,\n};\n")).toMatch(
      /^syntax error at line 2, column 13: \S/,
    );
  });

  it("names the imported file when the syntax error is there", async () => {
    writeFileSync(join(dir, "helper.ts"), "export const x = (;\n");
    const message = await loadError(
      "main.ts",
      'import { x } from "./helper.ts";\nexport default x;\n',
    );
    expect(
      message.startsWith(`syntax error in ${join(dir, "helper.ts")} at line 1, column 19: `),
    ).toBe(true);
  });

  it("reports a SyntaxError thrown while the module runs as it is, without a location", async () => {
    const message = await loadError("runtime.mjs", 'JSON.parse("{");\nexport default {};\n');
    let thrown = "";
    try {
      JSON.parse("{");
    } catch (error) {
      thrown = (error as Error).message;
    }
    expect(message).toBe(thrown);
  });

  it("knows the .mjs or .cjs file that tsx hands esbuild under a .js name", () => {
    const file = join(dir, "config.mjs");
    const error = new Error(
      `Transform failed with 1 error:\n${join(dir, "config.js")}:3:9: ERROR: Unexpected "="`,
    );
    expect(loadErrorMessage(error, file)).toBe('syntax error at line 3, column 10: Unexpected "="');
  });

  it("keeps the first line of any other error", () => {
    expect(loadErrorMessage(new Error("first\nsecond"), join(dir, "x.ts"))).toBe("first");
  });
});
