import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { listChanged, restoreIntrinsics, snapshotIntrinsics } from "./intrinsics.ts";

/**
 * Imports a user file (a strategy or workload plugin, a claims file) written in TypeScript
 * or JavaScript, wherever it lives. tsx compiles it on the fly; a `.ts` file outside an
 * ES-module package is compiled as CommonJS, whose exports then arrive under `default`:
 * those are unwrapped so that `default` is always the module's own default export.
 */
export async function importUserModule(file: string): Promise<Record<string, unknown>> {
  // Loaded on first use: most runs load no user file, and tsx's API takes 0.2 s to load.
  const { tsImport } = await import("tsx/esm/api");
  // A module that replaces a built-in when it loads (Array.prototype.push, ...) would break
  // everything this thread does next: the originals are put back and the module refused.
  const intrinsics = snapshotIntrinsics();
  let namespace: Record<string, unknown> = {};
  let thrown: { error: unknown } | undefined;
  try {
    namespace = (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<
      string,
      unknown
    >;
  } catch (error) {
    thrown = { error };
  }
  const changed = restoreIntrinsics(intrinsics);
  if (changed.length > 0) {
    throw new Error(
      `it changed JavaScript built-ins when it loaded (${listChanged(changed)}); they were put back. A plugin must not replace what all code in the process shares.`,
    );
  }
  if (thrown) throw thrown.error;
  const inner = namespace.default;
  // esbuild marks an ES module it compiled to CommonJS with an own `__esModule` property.
  if (inner !== null && typeof inner === "object" && Object.hasOwn(inner, "__esModule")) {
    return inner as Record<string, unknown>;
  }
  return namespace;
}

/** Where a syntax error is: the file, its line and (when known) its column, both from 1. */
interface SyntaxLocation {
  readonly file: string;
  readonly line: number;
  readonly column?: number;
  readonly text: string;
}

/**
 * The file esbuild names: tsx hands it `.mjs` and `.cjs` files under a `.js` name, so such
 * a name is the loaded file with that ending, or else another file that exists with it.
 */
function reportedFile(reported: string, loaded: string): string {
  if (!reported.endsWith(".js")) return reported;
  const base = reported.slice(0, -".js".length);
  if ([".mjs", ".cjs"].some((ending) => resolve(loaded) === resolve(base + ending))) return loaded;
  if (existsSync(reported)) return reported;
  const candidate = [".mjs", ".cjs"]
    .map((ending) => reported.replace(/\.js$/, ending))
    .find((path) => existsSync(path));
  return candidate ?? reported;
}

/**
 * esbuild's (tsx's) report: "Transform failed with N error(s):" then one
 * "<file>:<line>:<column>: ERROR: <text>" line per error, the column counted in bytes from 0.
 */
function esbuildLocation(
  message: string,
  loaded: string,
): { location: SyntaxLocation; count: number } | undefined {
  const head = /^Transform failed with (\d+) errors?:/.exec(message);
  const first = /^(.+):(\d+):(\d+): ERROR: (.*)$/m.exec(message);
  if (!head || !first) return undefined;
  const [, reported, line, byteColumn, text] = first;
  const file = reportedFile(reported, loaded);
  let column = Number(byteColumn) + 1;
  try {
    // Count characters, as an editor does, rather than UTF-8 bytes.
    const source = readFileSync(file, "utf8").split("\n")[Number(line) - 1] ?? "";
    column =
      Buffer.from(source, "utf8").subarray(0, Number(byteColumn)).toString("utf8").length + 1;
  } catch {
    // The file is gone: keep the byte count.
  }
  return { location: { file, line: Number(line), column, text }, count: Number(head[1]) };
}

/**
 * V8's decorated report (a stack that starts "<file>:<line>", the source line and a caret
 * line under the fault, then "SyntaxError: <text>"), as `node --check` prints it and as a
 * CommonJS load attaches it to the error.
 */
function v8Location(report: string): SyntaxLocation | undefined {
  const head = /^(.+):(\d+)\n(?:(.*)\n( *)\^+\n)?/.exec(report);
  const text = /^SyntaxError: (.*)$/m.exec(report)?.[1];
  if (!head || text === undefined) return undefined;
  const [, file, line, , indent] = head;
  return {
    file,
    line: Number(line),
    column: indent !== undefined ? indent.length + 1 : undefined,
    text,
  };
}

const JS_EXTENSIONS = new Set([".js", ".mjs", ".cjs"]);

/**
 * A V8 syntax error from an ES module import carries no location (Node keeps it in a
 * private field); `node --check` parses the file again without running it and prints it.
 */
function checkedLocation(file: string): SyntaxLocation | undefined {
  if (!JS_EXTENSIONS.has(extname(file))) return undefined;
  const check = spawnSync(process.execPath, ["--check", file], {
    encoding: "utf8",
    timeout: 10_000,
  });
  return check.status === 0 ? undefined : v8Location(check.stderr ?? "");
}

/**
 * Why a user module (`file`) did not load, in one line. A syntax error gives its line and
 * column, from the error's own report (esbuild's for TypeScript, V8's for JavaScript):
 * `syntax error at line 5, column 13: Unexpected "=>"`, naming the file at fault if it is
 * another one (`syntax error in ./helper.ts at ...`, a module it imports). Any other error gives its message's first line.
 */
export function loadErrorMessage(error: unknown, file: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const stack = error instanceof Error ? (error.stack ?? "") : "";
  let location: SyntaxLocation | undefined;
  let more = 0;
  const esbuild = esbuildLocation(message, file);
  if (esbuild) {
    location = esbuild.location;
    more = esbuild.count - 1;
  } else if (error instanceof SyntaxError) {
    location = v8Location(stack);
    // A syntax error thrown while the module runs (JSON.parse, say) has the file in its stack.
    if (!location && !stack.includes(resolve(file))) location = checkedLocation(resolve(file));
  }
  if (!location) return message.split("\n")[0];
  const where = `line ${location.line}${location.column !== undefined ? `, column ${location.column}` : ""}`;
  const elsewhere = resolve(location.file) !== resolve(file) ? ` in ${location.file}` : "";
  const others = more > 0 ? ` (and ${more} more error${more > 1 ? "s" : ""})` : "";
  return `syntax error${elsewhere} at ${where}: ${location.text}${others}`;
}
