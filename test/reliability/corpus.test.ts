/**
 * The bad-input corpus: every case is a command line that a user could type with a bad
 * input (files under test/reliability/corpus/, or flags). Each must exit 2 with one message
 * that names the input and what is wrong (and the valid choices, with a suggestion for a
 * near miss), print no stack trace, and leave --out alone: not created, or an existing file
 * byte-identical.
 *
 * Over 400 lines because it is a table: each case is data (the command line, the files it
 * reads, what the message must name), and one loop at the bottom runs them all.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { argv, runCli } from "../helpers/cli.ts";
import { tempDir } from "../helpers/tmp.ts";

const corpus = (name: string) => join(import.meta.dirname, "corpus", name);
const dir = tempDir("corpus");

/** Small, fast run flags for cases whose bad input is elsewhere. */
const SMALL = ["--seeds", "1", "--cpus", "2", "--strategies", "unprotected"];

interface Case {
  readonly name: string;
  readonly args: readonly string[];
  /**
   * What the one line after "pkslab: error: " must say: the input, the key or location at
   * fault, the value or choices where there are some. Never the wording of the parser or
   * schema library underneath (zod, esbuild, V8), only that there is some.
   */
  readonly message: RegExp;
  /** The command takes --out (else stdout must stay empty). */
  readonly out?: string;
}

const CASES: readonly Case[] = [
  // --- config files
  {
    name: "config: malformed JSON",
    args: ["compare", "--config", corpus("config-malformed.json")],
    message: /config file .*config-malformed\.json is not valid JSON/,
    out: "json",
  },
  {
    name: "config: wrong type",
    args: ["compare", "--config", corpus("config-wrong-type.json")],
    message: /config-wrong-type\.json: cpus: expected number, received string "four"\.$/,
    out: "json",
  },
  {
    name: "config: unknown key, with a suggestion and the valid keys",
    args: ["compare", "--config", corpus("config-unknown-key.json")],
    message: /unknown key "cpu"\. Did you mean "cpus"\? Valid keys: strategies, workloads/,
    out: "json",
  },
  {
    name: "config: negative CPUs",
    args: ["compare", "--config", corpus("config-negative-cpus.json")],
    message: /config-negative-cpus\.json: cpus: .+, received -2\.$/,
    out: "json",
  },
  {
    name: "config: zero CPUs",
    args: ["compare", "--config", corpus("config-zero-cpus.json")],
    message: /config-zero-cpus\.json: cpus: .+, received 0\.$/,
    out: "csv",
  },
  {
    name: "config: huge CPU count",
    args: ["compare", "--config", corpus("config-huge-cpus.json")],
    message: /machine\.cpus must be an integer from 1 to 8192; got 1000000000/,
    out: "json",
  },
  {
    name: "config: empty file",
    args: ["compare", "--config", corpus("config-empty.json")],
    message: /config file .*config-empty\.json is empty; expected a JSON object/,
    out: "md",
  },
  {
    name: "config: binary file (control bytes escaped in the message)",
    args: ["compare", "--config", corpus("config-binary.json")],
    message: /config-binary\.json is not valid JSON: .*\\x7fELF\\x00/,
    out: "json",
  },
  {
    name: "config: unknown strategy name, with a suggestion",
    args: ["compare", "--config", corpus("config-unknown-strategy.json")],
    message: /unknown strategy "pks-kmapp"\. Did you mean "pks-kmap"\? Valid choices: unprotected/,
    out: "json",
  },
  {
    name: "config: a workload name with HTML in it",
    args: ["compare", "--config", corpus("config-html-name.json")],
    message: /workload plugin <script>alert\(1\)<\/script>: file not found/,
    out: "html",
  },
  {
    name: "config: negative workload parameter in set",
    args: ["compare", "--config", corpus("config-bad-set-value.json"), ...SMALL],
    message: /workload pmem-dax: option "pages" is out of range: -5; it must be a number from 1/,
    out: "json",
  },
  {
    name: "config: top level is not an object",
    args: ["compare", "--config", corpus("config-top-level-array.json")],
    message: /config-top-level-array\.json: \(top level\): .*expected object, received array/,
    out: "json",
  },
  {
    name: "config: empty strategy list",
    args: ["compare", "--config", corpus("config-empty-list.json")],
    message: /config-empty-list\.json: strategies: is an empty list/,
    out: "json",
  },
  {
    name: "config: a number too large to be finite",
    args: ["compare", "--config", corpus("config-huge-seeds.json")],
    message: /config-huge-seeds\.json: seeds: .*expected number, received Infinity/,
    out: "json",
  },
  {
    name: "config: a range larger than the protected region",
    args: ["compare", "--config", corpus("config-range-too-large.json"), ...SMALL],
    message:
      /workload pagecache-io: request_pages = 64 pages is larger than the protected region \(pages = 16 pages\)/,
    out: "json",
  },
  {
    name: "config (TypeScript): wrong type",
    args: ["compare", "--config", corpus("config-wrong-type.ts")],
    message: /config-wrong-type\.ts: cpus: .*expected number, received string/,
    out: "json",
  },
  {
    name: "config (TypeScript): syntax error, with its location",
    args: ["compare", "--config", corpus("config-syntax-error.ts")],
    message:
      /config-syntax-error\.ts cannot be loaded as a module: syntax error at line 1, column 26: \S/,
    out: "json",
  },
  {
    name: "config (TypeScript): no default export",
    args: ["compare", "--config", corpus("config-no-default.ts")],
    message: /config-no-default\.ts has no default export; write `export default/,
    out: "json",
  },
  // --- cost profiles
  {
    name: "profile: missing parameter",
    args: ["compare", "--profile", corpus("profile-missing-parameter.json"), ...SMALL],
    message:
      /cost profile .*profile-missing-parameter\.json: missing parameter\(s\) wrmsr_pkrs_cycles; every profile must define: clock_ghz/,
    out: "json",
  },
  {
    name: "profile: a retired parameter is refused with its replacement, not ignored",
    args: ["compare", "--profile", corpus("profile-retired-parameter.json"), ...SMALL],
    message:
      /profile-retired-parameter\.json: parameter pagetable_alloc_cycles .*page_alloc_cycles/,
    out: "json",
  },
  {
    name: "profile: negative value",
    args: ["profile", "--profile", corpus("profile-negative-value.json")],
    message: /profile-negative-value\.json: parameters\.invlpg_cycles\.value: .+, received -1\.$/,
  },
  {
    name: "profile: unknown confidence, listing the valid ones",
    args: ["profile", "--profile", corpus("profile-bad-confidence.json")],
    message:
      /parameters\.invlpg_cycles\.confidence: expected one of "verified", "secondary", "derived", "unverified", received string "guessed"\.$/,
  },
  {
    name: "profile: unknown key",
    args: ["profile", "--profile", corpus("profile-unknown-key.json")],
    message:
      /profile-unknown-key\.json: unknown key "vendor"\. Valid keys: name, summary, parameters\.$/,
  },
  {
    name: "profile: malformed JSON",
    args: ["compare", "--profile", corpus("profile-malformed.json"), ...SMALL],
    message: /cost profile .*profile-malformed\.json is not valid JSON/,
    out: "json",
  },
  {
    name: "profile: empty file",
    args: ["profile", "--profile", corpus("profile-empty.json")],
    message: /cost profile .*profile-empty\.json is not valid JSON: \S/,
  },
  {
    name: "profile: unknown built-in name, with a suggestion",
    args: ["compare", "--profile", "server-2021", ...SMALL],
    message: /unknown cost profile "server-2021"\. Did you mean "server-2022"\?/,
    out: "json",
  },
  // --- claims files
  {
    name: "claims: malformed JSON",
    args: ["claims", "--no-builtin", "--claims", corpus("claims-malformed.json")],
    message: /claims file .*claims-malformed\.json is not valid JSON/,
    out: "json",
  },
  {
    name: "claims: empty file",
    args: ["claims", "--no-builtin", "--claims", corpus("claims-empty.json")],
    message: /claims file .*claims-empty\.json is not valid JSON/,
    out: "md",
  },
  {
    name: "claims: unknown workload, with a suggestion",
    args: ["claims", "--no-builtin", "--claims", corpus("claims-unknown-workload.json")],
    message: /unknown workload in claims file .* "pmem-daxx"\. Did you mean "pmem-dax"\?/,
    out: "json",
  },
  {
    name: "claims: wrong type",
    args: ["claims", "--no-builtin", "--claims", corpus("claims-wrong-type.json")],
    message:
      /claims-wrong-type\.json: claims\[0\]\.all\[0\]\.right: expected object or number, received string "five"\.$/,
    out: "json",
  },
  {
    name: "claims: wrong type inside a cell reference",
    args: ["claims", "--no-builtin", "--claims", corpus("claims-wrong-type-nested.json")],
    message:
      /claims-wrong-type-nested\.json: claims\[0\]\.all\[0\]\.right\.strategy: expected string, received number 2\.$/,
    out: "json",
  },
  {
    name: "claims: an operator outside its choices",
    args: ["claims", "--no-builtin", "--claims", corpus("claims-bad-operator.json")],
    message:
      /claims-bad-operator\.json: claims\[0\]\.all\[0\]\.op: expected one of "<", "<=", ">", ">=", "==", "!=", received string "less than"\.$/,
    out: "md",
  },
  {
    name: "claims: a misspelt key, with a suggestion and the valid keys",
    args: ["claims", "--no-builtin", "--claims", corpus("claims-unknown-key.json")],
    message:
      /claims-unknown-key\.json: claims\[0\]: unknown key "qoute"\. Did you mean "quote"\? Valid keys: id, quote, speaker, source, predicate, setup, all\.$/,
    out: "json",
  },
  {
    name: "claims: no claims",
    args: ["claims", "--no-builtin", "--claims", corpus("claims-no-claims.json")],
    message: /claims-no-claims\.json: claims: \S.*\.$/,
    out: "json",
  },
  // --- plugins
  {
    name: "plugin: syntax error",
    args: ["check-plugin", corpus("plugin-syntax-error.ts")],
    // Its kind (strategy or workload) is unknown until it loads: the message claims none.
    message:
      /^pkslab: error: plugin .*plugin-syntax-error\.ts: cannot be loaded as a module: syntax error at line 5, column 13: \S/,
  },
  {
    name: "plugin: syntax error in a workload plugin",
    args: ["compare", "--workloads", corpus("workload-syntax-error.ts"), ...SMALL],
    message:
      /workload plugin .*workload-syntax-error\.ts: cannot be loaded as a module: syntax error at line 7, column 3: \S/,
    out: "json",
  },
  {
    name: "plugin: syntax error in a module the plugin imports",
    args: ["check-plugin", corpus("plugin-imports-syntax-error.ts")],
    message:
      /plugin-imports-syntax-error\.ts: cannot be loaded as a module: syntax error in .*plugin-syntax-error\.ts at line 5, column 13: \S/,
  },
  {
    name: "claims (TypeScript): syntax error, with its location",
    args: ["claims", "--no-builtin", "--claims", corpus("claims-syntax-error.ts")],
    message:
      /claims file .*claims-syntax-error\.ts cannot be loaded: syntax error at line 4, column 3: \S/,
    out: "json",
  },
  {
    name: "plugin: not a module (prose in a .js file)",
    args: ["compare", "--strategies", corpus("plugin-not-a-module.js"), "--workloads", "pmem-dax"],
    message:
      /strategy plugin .*plugin-not-a-module\.js: cannot be loaded as a module: syntax error at line 1, column 6: \S/,
    out: "json",
  },
  {
    name: "plugin: no default export",
    args: ["check-plugin", corpus("plugin-no-default-export.ts")],
    message: /plugin-no-default-export\.ts: has no default export; write `export default/,
  },
  {
    name: "plugin: missing fields",
    args: ["check-plugin", corpus("plugin-missing-fields.ts")],
    message: /strategy plugin .*plugin-missing-fields\.ts: summary: missing/,
  },
  {
    name: "plugin: HTML in the name",
    args: ["compare", "--plugin", corpus("plugin-html-name.ts"), ...SMALL],
    message: /plugin-html-name\.ts: name: must be kebab-case/,
    out: "html",
  },
  {
    name: "plugin: binary file",
    args: ["list", "--plugin", corpus("plugin-binary.js")],
    message:
      /^pkslab: error: plugin .*plugin-binary\.js: cannot be loaded as a module: syntax error at line 1: \S/,
  },
  {
    name: "plugin: empty file",
    args: ["describe", "x", "--plugin", corpus("plugin-empty.ts")],
    message: /plugin-empty\.ts: has no default export/,
  },
  {
    name: "plugin: unsupported file type",
    args: ["check-plugin", corpus("plugin-wrong-extension.txt")],
    message: /unsupported file type "\.txt"; use one of \.ts, \.mts/,
  },
  {
    name: "plugin: no such file",
    args: ["check-plugin", corpus("no-such-plugin.ts")],
    message: /strategy plugin .*no-such-plugin\.ts: file not found/,
  },
  // --- flags and --set values
  {
    name: "flag: zero CPUs",
    args: ["compare", "--cpus", "0"],
    message: /^pkslab: error: --cpus must be a whole number >= 1, got "0"\.$/,
    out: "json",
  },
  {
    name: "flag: negative CPUs",
    args: ["sweep", "--vary", "pmem-dax.pages=64,128", "--cpus", "-4"],
    message: /^pkslab: error: --cpus must be a whole number >= 1, got "-4"\.$/,
    out: "csv",
  },
  {
    name: "flag: CPUs beyond the model",
    args: ["compare", "--cpus", "100000", "--strategies", "unprotected"],
    message: /machine\.cpus must be an integer from 1 to 8192; got 100000/,
    out: "json",
  },
  {
    name: "flag: not a number",
    args: ["compare", "--seeds", "many"],
    message: /^pkslab: error: --seeds must be a whole number >= 1, got "many"\.$/,
    out: "json",
  },
  {
    name: "flag: zero operation budget",
    args: ["compare", "--operation-budget", "0"],
    message: /--operation-budget must be a whole number >= 1, got "0"/,
    out: "json",
  },
  {
    name: "flag: unknown format, listing the choices",
    args: ["compare", "--format", "xml"],
    message:
      /--format: unknown format "xml"\. Did you mean "html"\? Valid choices: table, markdown, email, csv, json, html, png\.$/,
  },
  {
    name: "flag: a near-miss format, with a suggestion",
    args: ["compare", "--format", "markdwn", ...SMALL],
    message: /--format: unknown format "markdwn"\. Did you mean "markdown"\? Valid choices: table,/,
    out: "md",
  },
  {
    name: "flag: unknown email style, with a suggestion",
    args: ["compare", "--format", "email", "--style", "lpk", ...SMALL],
    message:
      /--style: unknown email style "lpk"\. Did you mean "lkp"\? Valid choices: mmtests, lkp\.$/,
    out: "txt",
  },
  {
    name: "flag: negative first seed",
    args: ["compare", "--seed", "-1"],
    message: /^pkslab: error: --seed must be a whole number >= 0, got "-1"\.$/,
    out: "json",
  },
  {
    name: "flag: negative stray rate",
    args: ["compare", "--stray-every", "-3"],
    message: /^pkslab: error: --stray-every must be a non-negative number, got "-3"\.$/,
    out: "json",
  },
  {
    name: "flag: stray rate that is not a number",
    args: ["sweep", "--vary", "pmem-dax.pages=64,128", "--stray-every", "often"],
    message: /^pkslab: error: --stray-every must be a non-negative number, got "often"\.$/,
    out: "csv",
  },
  {
    name: "flag: fractional worker count (a run option of sweep)",
    args: ["sweep", "--vary", "pmem-dax.pages=64,128", "--jobs", "1.5"],
    message: /^pkslab: error: --jobs must be a whole number >= 1, got "1\.5"\.$/,
    out: "csv",
  },
  {
    name: "flag: empty seed count",
    args: ["compare", "--seeds", ""],
    message: /^pkslab: error: --seeds must be a whole number >= 1, got ""\.$/,
    out: "json",
  },
  {
    name: "flag: huge operation budget that is not an integer",
    args: ["compare", "--operation-budget", "1e400"],
    message: /^pkslab: error: --operation-budget must be a whole number >= 1, got "1e400"\.$/,
    out: "json",
  },
  {
    name: "flag: a strategy list that names nothing",
    args: ["compare", "--strategies", ","],
    message:
      /^pkslab: error: --strategies must be a comma list of strategy names or plugin paths, got ","\.$/,
    out: "json",
  },
  {
    name: "flag: claims seeds out of range",
    args: ["claims", "--seeds", "31"],
    message: /^pkslab: error: --seeds must be a whole number from 1 to 30, got "31"\.$/,
    out: "json",
  },
  {
    name: "flag: claims CPUs below two",
    args: ["claims", "--cpus", "1"],
    message: /^pkslab: error: --cpus must be a whole number from 2 to 256, got "1"\.$/,
    out: "md",
  },
  {
    name: "flag: unknown strategy, with a suggestion",
    args: ["compare", "--strategies", "vmap-alais"],
    message: /unknown strategy "vmap-alais"\. Did you mean "vmap-alias"\? Valid choices:/,
    out: "json",
  },
  {
    name: "--set: unknown workload parameter, with a suggestion",
    args: ["compare", "--workloads", "pmem-dax", "--set", "pmem-dax.pagez=3", ...SMALL],
    message: /unknown option of workload pmem-dax "pagez"\. Did you mean "pages"\? Valid choices:/,
    out: "json",
  },
  {
    name: "--set: unknown profile parameter, with a suggestion",
    args: ["compare", "--set", "profile.wrmsr_pkrs_cyles=5", ...SMALL],
    message:
      /unknown cost parameter in profile server-2022 "wrmsr_pkrs_cyles"\. Did you mean "wrmsr_pkrs_cycles"\?/,
    out: "json",
  },
  {
    name: "--set: huge workload parameter",
    args: ["compare", "--workloads", "pmem-dax", "--set", "pmem-dax.pages=1e30", ...SMALL],
    message:
      /workload pmem-dax: option "pages" is out of range: 1e\+30; it must be a number from 1 to 1048576/,
    out: "json",
  },
  {
    name: "--set: strategy option outside its choices",
    args: ["compare", "--strategies", "pks-kmap", "--set", "pks-kmap.fault-mode=loud"],
    message: /value for strategy pks-kmap option "fault-mode" "loud"\..*Valid choices:/,
    out: "json",
  },
  {
    name: "--set: malformed assignment",
    args: ["compare", "--set", "pages=4"],
    message: /--set "pages=4" must look like TARGET\.PARAM=VALUE/,
    out: "json",
  },
  {
    name: "--set: nesting deeper than kmap_local allows",
    args: ["compare", "--workloads", "preempt-migrate", "--set", "preempt-migrate.depth=16"],
    message:
      /workload preempt-migrate: option "depth" is out of range: 16; it must be a number from 1 to 15/,
    out: "json",
  },
  {
    name: "--set: a range larger than the protected region",
    args: argv`compare --workloads long-term-map --set long-term-map.pages=4
      --set long-term-map.ring_pages=8 ${SMALL}`,
    message:
      /workload long-term-map: ring_pages = 8 pages is larger than the protected region \(pages = 4 pages\)/,
    out: "json",
  },
  {
    name: "sweep: empty list",
    args: ["sweep", "--vary", "pmem-dax.pages=,"],
    message: /--vary: no values in ","/,
    out: "csv",
  },
  {
    name: "sweep: a range that runs backwards",
    args: ["sweep", "--vary", "pmem-dax.pages=64..1:x2"],
    message: /--vary range "64\.\.1:x2": the end is below the start/,
    out: "csv",
  },
  {
    name: "--out into a missing directory is refused before running",
    args: ["compare", "--out", join(dir, "missing", "r.json"), ...SMALL, "--workloads", "pmem-dax"],
    message: /--out .*missing\/r\.json: directory .*missing does not exist/,
  },
  // --- saved results, traces, census, validate, describe
  {
    name: "results: not a pkslab result",
    args: ["compare", "--from", corpus("results-not-a-result.json")],
    message: /results-not-a-result\.json is not a pkslab result file: schemaVersion/,
    out: "md",
  },
  {
    name: "results: binary file in diff",
    args: ["diff", corpus("config-binary.json"), corpus("config-empty.json")],
    message: /result file .*config-binary\.json is not valid JSON/,
    out: "txt",
  },
  {
    name: "replay: unknown mapping, with a suggestion",
    args: ["replay", corpus("trace-binary.txt"), "--mapping", "per-call,per-serch"],
    message:
      /--mapping: unknown mapping "per-serch"\. Did you mean "per-search"\? Valid choices: per-call, per-search\.$/,
    out: "json",
  },
  {
    name: "replay: zero CPUs",
    args: ["replay", corpus("trace-binary.txt"), "--cpus", "0"],
    message: /^pkslab: error: --cpus must be a whole number >= 1, got "0"\.$/,
    out: "txt",
  },
  {
    name: "replay: missing trace",
    args: ["replay", join(dir, "no-trace.txt")],
    message: /^pkslab: error: trace .*no-trace\.txt: no such file\.$/,
    out: "txt",
  },
  {
    name: "replay: binary file",
    args: ["replay", corpus("trace-binary.txt")],
    message: /trace .*trace-binary\.txt: no extent-buffer accessor calls in 2 line\(s\)/,
    out: "txt",
  },
  {
    name: "census: missing tree",
    args: ["census", "--kernel-src", join(dir, "no-linux")],
    message: /--kernel-src .*no-linux: no such directory/,
    out: "txt",
  },
  {
    name: "census: no --kernel-src",
    args: ["census"],
    message:
      /^pkslab: error: census needs --kernel-src <dir>: the root of an unpacked Linux source tree/,
    out: "txt",
  },
  {
    name: "census: --kernel-src is a file",
    args: ["census", "--kernel-src", corpus("trace-binary.txt")],
    message: /^pkslab: error: --kernel-src .*trace-binary\.txt: not a directory\.$/,
    out: "json",
  },
  {
    name: "census: unknown format, with a suggestion",
    args: ["census", "--kernel-src", corpus("kernel-tree"), "--format", "jsno"],
    message:
      /--format: unknown format "jsno"\. Did you mean "json"\? Valid choices: table, markdown, email, csv, json\.$/,
    out: "txt",
  },
  {
    name: "census: unknown --arch, with a suggestion and the tree's architectures",
    args: ["census", "--kernel-src", corpus("kernel-tree"), "--arch", "x68"],
    message: /--arch: unknown arch "x68"\. Did you mean "x86"\? Valid choices: all, arm64, x86\.$/,
    out: "json",
  },
  {
    name: "validate: unknown format",
    args: ["validate", "--format", "yaml"],
    message:
      /^pkslab: error: --format: unknown format "yaml"\. Valid choices: table, markdown, email, csv, json\.$/,
    out: "txt",
  },
  {
    name: "validate: --profile-file naming an unknown built-in profile",
    args: ["validate", "--profile-file", `server-2021=${corpus("profile-empty.json")}`],
    message:
      /--profile-file: unknown built-in profile "server-2021"\. Did you mean "server-2022"\? Valid choices: server-2022, opteron-2008\.$/,
    out: "txt",
  },
  {
    name: "validate: unknown case",
    args: ["validate", "--case", "xpfo-eager-4cpus"],
    message:
      /--case: unknown validation case "xpfo-eager-4cpus"\. Did you mean "xpfo-eager-4cpu"\?/,
    out: "txt",
  },
  // --- a report's name and its format (issue 21)
  {
    name: "compare: --out x.png without --format (text would go into a .png)",
    args: ["compare", ...SMALL, "--out", join(dir, "report.png")],
    message:
      /--out .*report\.png: a report's text cannot go into a \.png file; --format png --out DIR/,
  },
  {
    name: "compare: --format json into a .csv name",
    args: ["compare", ...SMALL, "--format", "json"],
    message:
      /--out .*\.csv: the extension \.csv names the csv format, but --format is json; .*--force-format/,
    out: "csv",
  },
  {
    name: "compare: unknown --out extension without --format, with the formats",
    args: ["compare", ...SMALL],
    message:
      /--out .*\.pdf: unknown extension "\.pdf"; give --format \(table, markdown, email, csv, json, html, png\) or one of the extensions \.json \(json\)/,
    out: "pdf",
  },
  {
    name: "compare --from: --format csv into a .json name",
    args: argv`compare --from ${join(import.meta.dirname, "..", "golden", "small.json")}
      --format csv`,
    message: /the extension \.json names the json format, but --format is csv/,
    out: "json",
  },
  {
    name: "sweep: --format html into a .md name",
    args: ["sweep", ...SMALL, "--param", "cpus=1,2", "--format", "html"],
    message: /the extension \.md names the markdown format, but --format is html/,
    out: "md",
  },
  // --- census of a directory that is not a Linux tree (issue 21)
  {
    name: "census: an empty directory is not a Linux tree",
    args: ["census", "--kernel-src", tempDir("empty")],
    message:
      /--kernel-src .*: not a Linux source tree \(no top-level Makefile with a VERSION line; no mm\/ or fs\/ directory\)/,
    out: "json",
  },
  {
    name: "census: a tree with arch/ only is not a Linux tree",
    args: ["census", "--kernel-src", corpus("kernel-tree")],
    message:
      /kernel-tree: not a Linux source tree \(no top-level Makefile with a VERSION line; no mm\/ or fs\/ directory\)/,
    out: "txt",
  },
  {
    name: "describe: a name with HTML in it",
    args: ["describe", "<b>pmem-dax</b>"],
    message: /unknown strategy or workload "<b>pmem-dax<\/b>"\. Valid choices: unprotected/,
  },
];

describe("bad-input corpus: exit 2, one message, no stack trace, --out untouched", () => {
  it("has at least 30 cases", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  CASES.forEach((testCase, index) => {
    it(testCase.name, async () => {
      const args = [...testCase.args];
      let out: string | undefined;
      // Odd cases write over an existing file, which must survive byte-identical.
      const previous = `previous report ${index}\n`;
      if (testCase.out !== undefined) {
        out = join(dir, `case-${index}.${testCase.out}`);
        if (index % 2 === 1) writeFileSync(out, previous);
        args.push("--out", out);
      }
      const run = await runCli(...args);
      expect(run.code, run.stderr).toBe(2);
      const lines = run.stderr.split("\n").filter((line) => line.trim() !== "");
      expect(lines, run.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^pkslab: error: /);
      expect(lines[0]).toMatch(testCase.message);
      expect(run.stderr).not.toMatch(/^\s+at /m);
      expect(run.stdout).toBe("");
      if (out !== undefined) {
        if (index % 2 === 1) expect(readFileSync(out, "utf8")).toBe(previous);
        else expect(existsSync(out)).toBe(false);
      }
    });
  });
});
