/**
 * The census on one synthetic kernel tree with the pitfalls of real ones (symlink loops
 * and dangling links, an unreadable entry, invalid UTF-8, a big generated header, excluded
 * directories), built once: the tree walk, adoption, the renderers and the command. Over 400 lines because all four read
 * that one tree and its expected counts; the lexer's snippet tests are in
 * test/reports/analyses/census/lexer.test.ts.
 */
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { UserInputError } from "../core/errors.ts";
import {
  BUILTIN_ADOPTION_RULES,
  type CensusAdoptionRule,
  parseCensusAdoptionRule,
} from "../reports/analyses/census/adoption.ts";
import { type CensusResult, runCensus } from "../reports/analyses/census/census.ts";
import {
  registerCensusCommand,
  validateCensusOptions,
} from "../reports/analyses/census/command.ts";
import { parseCensusJson } from "../reports/analyses/census/load.ts";
import { renderCensus } from "../reports/analyses/census/render.ts";
import { CENSUS_FORMATS } from "../reports/analyses/census/report.ts";

import { tempDir } from "./helpers/tmp.ts";

/** [api, class, line] triples for a snippet. */
// ---------------------------------------------------------------------------------------
// A synthetic tree with the pitfalls of real trees.

const isRoot = process.getuid?.() === 0;
let root: string;
let outside: string;
let result: CensusResult;

function put(relative: string, content: string | Buffer): void {
  const path = join(root, relative);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

beforeAll(() => {
  const base = tempDir("census");
  root = join(base, "linux");
  outside = join(base, "outside");
  mkdirSync(root);
  mkdirSync(outside);
  writeFileSync(join(outside, "elsewhere.c"), "void f(void) { kmap(p); kmap(q); }\n");
  put(
    "Makefile",
    "# SPDX\nVERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 99\nEXTRAVERSION = -test\nNAME = Test\n",
  );
  put(
    "mm/highmem.c",
    "void *f(struct page *p)\n{\n\treturn kmap_local_page(p);\n}\nvoid g(void) { kunmap_local(v); kmap(p); kunmap(p); }\n",
  );
  put(
    "include/linux/highmem.h",
    "static inline void *kmap(struct page *page);\n#define kunmap_local(x) __kunmap_local(x)\n",
  );
  put(
    "fs/btrfs/extent_io.c",
    [
      "void read_extent_buffer(const struct extent_buffer *eb)",
      "{",
      "\twhile (len > 0) { kaddr = page_address(eb->pages[i]); i++; }",
      "}",
      "void btrfs_other(struct page *p)",
      "{",
      "\tkaddr = page_address(p);",
      "}",
    ].join("\n"),
  );
  put(
    "fs/btrfs/struct-funcs.c",
    "#define D(bits) \\\nu##bits btrfs_get_##bits(void) \\\n{ \\\n\tk = page_address(eb->pages[idx + 1]); \\\n}\n",
  );
  put(
    "drivers/gpu/drm/gem.c",
    "int f(void) { return obj->funcs->vmap(obj, map); }\nvoid g(void) { v = vmap(pages, n, 0, PAGE_KERNEL); vunmap(v); }\n",
  );
  put("arch/x86/mm/init.c", "void f(void) { a = page_address(p); }\n");
  put("arch/arm/mm/flush.c", "void f(void) { a = kmap_atomic(p); kunmap_atomic(a); }\n");
  put("Documentation/example.c", "void f(void) { kmap(p); }\n");
  put("tools/testing/x.h", "void f(void) { kmap_atomic(p); }\n");
  put("samples/s.c", "void f(void) { page_address(p); }\n");
  put("README", "kmap(p) is not in a scanned file\n");
  // Non-UTF-8 bytes around a real call.
  put(
    "drivers/misc/latin1.c",
    Buffer.concat([
      Buffer.from("/* caf"),
      Buffer.from([0xe9, 0xff, 0xfe]),
      Buffer.from(" */\nvoid f(void) { x = kmap_local_page(p); }\n"),
      Buffer.from([0x80, 0x81, 0x0a]),
      Buffer.from("void g(void) { kunmap_local(x); }\n"),
    ]),
  );
  // A big generated header with one call at the very end.
  const lines = Array.from(
    { length: 60_000 },
    (_, i) => `#define REG_${i}_MASK 0x${i.toString(16)}`,
  );
  put(
    "drivers/gpu/amd/asic_reg.h",
    `${lines.join("\n")}\nvoid f(void) { memzero_page(p, 0, 1); }\n`,
  );
  // Symlinks: a loop, a link out of the tree, a dangling link, a link to a scanned file.
  symlinkSync("..", join(root, "drivers/misc/loop"));
  symlinkSync(outside, join(root, "fs/outside-link"));
  symlinkSync(join(outside, "elsewhere.c"), join(root, "fs/elsewhere.c"));
  symlinkSync(join(root, "does-not-exist.c"), join(root, "fs/dangling.c"));
  // Unreadable entries. Tests run as root, where chmod 000 does not stop a read, so the
  // portable case is a FIFO with a scanned name (reading it would block: it is reported,
  // not read); chmod 000 is added when the tests do not run as root.
  execFileSync("mkfifo", [join(root, "drivers/misc/pipe.c")]);
  if (!isRoot) {
    put("drivers/misc/secret.c", "void f(void) { kmap(p); }\n");
    chmodSync(join(root, "drivers/misc/secret.c"), 0o000);
  }
  result = runCensus({ kernelSrc: root });
});

afterAll(() => {
  if (root) rmSync(dirname(root), { recursive: true, force: true });
});

function sumFileCalls(r: CensusResult, area: "kernel" | "excluded"): number {
  return r.files.filter((f) => f.area === area).reduce((sum, f) => sum + f.totals.call, 0);
}

describe("tree walk", () => {
  it("reads the tree identity from the Makefile", () => {
    expect(result.tree.release).toBe("6.1.99-test");
    expect(result.tree.name).toBe("Test");
  });

  it("never follows symlinks (loop, out of tree, dangling) and counts them", () => {
    expect(result.scan.symlinksSkipped).toBe(4);
    expect(result.scan.symlinkPaths).toEqual(
      expect.arrayContaining([
        "drivers/misc/loop",
        "fs/outside-link",
        "fs/elsewhere.c",
        "fs/dangling.c",
      ]),
    );
    expect(result.files.some((f) => f.path.includes("elsewhere") || f.path.includes("loop"))).toBe(
      false,
    );
  });

  it("reports unreadable entries and goes on", () => {
    const unreadable = result.scan.unreadable.map((u) => u.path);
    expect(unreadable).toContain("drivers/misc/pipe.c");
    expect(result.scan.unreadable.find((u) => u.path === "drivers/misc/pipe.c")?.reason).toMatch(
      /FIFO/,
    );
    if (!isRoot) expect(unreadable).toContain("drivers/misc/secret.c");
    expect(result.files.find((f) => f.path === "mm/highmem.c")).toBeDefined();
  });

  it("scans files with non-UTF-8 bytes", () => {
    const row = result.files.find((f) => f.path === "drivers/misc/latin1.c");
    expect(row?.byApi.kmap_local_page.call).toBe(1);
    expect(row?.byApi.kunmap_local.call).toBe(1);
    const site = result.sites.find(
      (s) => s.path === "drivers/misc/latin1.c" && s.api === "kunmap_local",
    );
    expect(site?.line).toBe(4);
  });

  it("scans a huge generated header and keeps the line number", () => {
    const site = result.sites.find((s) => s.path === "drivers/gpu/amd/asic_reg.h");
    expect(site).toMatchObject({ api: "memzero_page", class: "call", line: 60_001 });
  });

  it("leaves non-source files out", () => {
    expect(result.files.some((f) => f.path === "README")).toBe(false);
  });

  it("reports Documentation/, tools/, samples/ apart from the headline totals", () => {
    expect(result.excludedTotals.calls).toBe(3);
    expect(result.excludedTotals.byApi.kmap.call).toBe(1);
    expect(result.files.find((f) => f.path === "tools/testing/x.h")?.area).toBe("excluded");
    expect(result.totals.byApi.kmap.call).toBe(1); // mm/highmem.c only
  });

  it("has per-file rows that sum to the totals, per API and per class", () => {
    expect(sumFileCalls(result, "kernel")).toBe(result.totals.calls);
    expect(sumFileCalls(result, "excluded")).toBe(result.excludedTotals.calls);
    for (const api of result.apis) {
      for (const cls of ["call", "member", "define", "declaration"] as const) {
        const sum = result.files
          .filter((f) => f.area === "kernel")
          .reduce((s, f) => s + (f.byApi[api.name]?.[cls] ?? 0), 0);
        expect(sum, `${api.name} ${cls}`).toBe(result.totals.byApi[api.name][cls]);
      }
    }
    expect(result.sites.length).toBe(
      result.files.reduce(
        (s, f) => s + f.totals.call + f.totals.member + f.totals.define + f.totals.declaration,
        0,
      ),
    );
  });

  it("has directory rows that sum to the totals", () => {
    const top = result.directories.topLevel.filter((d) => d.area === "kernel");
    const second = result.directories.secondLevel.filter((d) => d.area === "kernel");
    expect(top.reduce((s, d) => s + d.calls, 0)).toBe(result.totals.calls);
    expect(second.reduce((s, d) => s + d.calls, 0)).toBe(result.totals.calls);
    expect(second.map((d) => d.dir)).toContain("fs/btrfs");
    expect(second.map((d) => d.dir)).toContain("mm/(top)");
  });

  it("classifies in the tree: member, define, declaration are not calls", () => {
    expect(result.totals.byApi.vmap).toEqual({ call: 1, member: 1, define: 0, declaration: 0 });
    expect(result.totals.byApi.kunmap_local.define).toBe(1);
    expect(result.totals.byApi.kmap.declaration).toBe(1);
  });

  it("the --arch view leaves the other arch/* directories out", () => {
    const x86 = runCensus({ kernelSrc: root, arch: "x86" });
    expect(x86.scan.archDirsSkipped).toEqual(["arch/arm"]);
    expect(x86.files.some((f) => f.path.startsWith("arch/arm/"))).toBe(false);
    expect(x86.files.some((f) => f.path.startsWith("arch/x86/"))).toBe(true);
    expect(x86.totals.byApi.kmap_atomic.call).toBe(result.totals.byApi.kmap_atomic.call - 1);
  });
});

describe("adoption", () => {
  const row = (strategy: string) => result.adoption.find((a) => a.strategy === strategy)!;
  const term = (strategy: string, id: string) => row(strategy).terms.find((t) => t.id === id)!;

  it("has a rule for every built-in strategy", () => {
    expect(result.adoption.map((a) => a.strategy)).toEqual([
      "unprotected",
      "pks-kmap",
      "vmap-alias",
      "no-direct-map",
      "kmap-local-range",
    ]);
    expect(row("unprotected").sites).toBe(0);
  });

  it("pks-kmap: direct-map users plus global kmap() pairs", () => {
    const direct =
      result.totals.byApi.page_address.call +
      result.totals.byApi.folio_address.call +
      result.totals.byApi.lowmem_page_address.call;
    expect(term("pks-kmap", "direct-map-users").sites).toBe(direct);
    expect(term("pks-kmap", "global-kmap").sites).toBe(2);
    expect(row("pks-kmap").sites).toBe(direct + 2);
  });

  it("vmap-alias: every kmap-family call; context terms are not added", () => {
    const family = [
      "kmap",
      "kunmap",
      "kmap_atomic",
      "kunmap_atomic",
      "kmap_local_page",
      "kunmap_local",
    ]
      .map((name) => result.totals.byApi[name].call)
      .reduce((a, b) => a + b, 0);
    expect(row("vmap-alias").sites).toBe(family);
    expect(term("vmap-alias", "existing-vmap").counted).toBe(false);
  });

  it("no-direct-map: direct-map derivations plus kmap-family sites", () => {
    expect(row("no-direct-map").sites).toBe(
      term("no-direct-map", "direct-map-derivations").sites +
        term("no-direct-map", "kmap-family").sites,
    );
    expect(row("no-direct-map").notCounted.join(" ")).toMatch(/virt_to_page/);
  });

  it("kmap-local-range: only the btrfs helpers that loop over pages", () => {
    const btrfs = term("kmap-local-range", "btrfs-cross-page-helpers");
    expect(btrfs.sites).toBe(2);
    expect(btrfs.byFunction).toEqual({
      "fs/btrfs/extent_io.c:read_extent_buffer": 1,
      "fs/btrfs/struct-funcs.c:btrfs_get_##bits": 1,
    });
  });

  it("validates rules declared by plugins", () => {
    const good: CensusAdoptionRule = {
      strategy: "my-plugin",
      summary: "Counts kmap().",
      terms: [{ id: "kmap", label: "kmap", apis: ["kmap"], change: "converted" }],
      notCounted: [],
      citations: [],
    };
    expect(parseCensusAdoptionRule(good).strategy).toBe("my-plugin");
    expect(() =>
      parseCensusAdoptionRule({ ...good, terms: [{ ...good.terms[0], apis: ["kmapp"] }] }),
    ).toThrow(/not a census API/);
    expect(() =>
      parseCensusAdoptionRule({
        ...good,
        terms: [good.terms[0], { ...good.terms[0], id: "again" }],
      }),
    ).toThrow(UserInputError);
    for (const rule of BUILTIN_ADOPTION_RULES)
      expect(() => parseCensusAdoptionRule(rule)).not.toThrow();
  });

  it("applies a plugin's own rule", () => {
    const custom = runCensus({
      kernelSrc: root,
      rules: [
        {
          strategy: "custom",
          summary: "vmap only",
          terms: [{ id: "vmap", label: "vmap", apis: ["vmap", "vunmap"], change: "x" }],
          notCounted: [],
          citations: [],
        },
      ],
    });
    expect(custom.adoption).toHaveLength(1);
    expect(custom.adoption[0].sites).toBe(2);
  });
});

describe("renderers", () => {
  it("renders every format", () => {
    for (const format of CENSUS_FORMATS)
      expect(renderCensus(result, format).length).toBeGreaterThan(100);
  });

  it("email: plain ASCII, no line over 72 columns, a legend and the reproducing command", () => {
    const long = runCensus({ kernelSrc: root, arch: "x86" });
    const email = renderCensus(
      { ...long, kernelSrc: `/a/very/long/path/${"x".repeat(90)}` },
      "email",
    );
    for (const line of email.split("\n")) {
      expect(line.length, line).toBeLessThanOrEqual(72);
      expect(/^[\x20-\x7e]*$/.test(line), line).toBe(true);
    }
    expect(email).toMatch(/^Legend:/m);
    expect(email).toMatch(/^reproduce: npx pkslab census --kernel-src/m);
    expect(email).toMatch(/--arch x86 --format email/);
    expect(email).toMatch(/^Counting rules:/m);
  });

  it("csv: one row per file, columns that sum to the totals", () => {
    const text = renderCensus(result, "csv");
    // The context block comes first, as "# " comment lines (as in compare's CSV).
    expect(text).toMatch(/^# pkslab \d/);
    expect(text).toMatch(/^# reproduce: npx pkslab census --kernel-src /m);
    const csv = text
      .trimEnd()
      .split("\n")
      .filter((line) => !line.startsWith("# "));
    const header = csv[0].split(",");
    expect(header.slice(0, 8).join(",")).toBe(
      "path,area,dir1,dir2,calls,member,define,declaration",
    );
    expect(csv.length - 1).toBe(result.files.length);
    const rows = csv.slice(1).map((line) => line.split(","));
    const kernelCalls = rows.filter((r) => r[1] === "kernel").reduce((s, r) => s + Number(r[4]), 0);
    expect(kernelCalls).toBe(result.totals.calls);
    const col = header.indexOf("page_address");
    expect(rows.filter((r) => r[1] === "kernel").reduce((s, r) => s + Number(r[col]), 0)).toBe(
      result.totals.byApi.page_address.call,
    );
  });

  it("json: versioned, with rules, identity, totals, files, unreadable, adoption", () => {
    const json = JSON.parse(renderCensus(result, "json"));
    expect(json.schemaVersion).toBe(1);
    expect(json.tree).toMatchObject({ version: "6", patchlevel: "1", sublevel: "99" });
    expect(json.countingRules.length).toBeGreaterThan(5);
    expect(json.totals.calls).toBe(result.totals.calls);
    expect(json.files).toHaveLength(result.files.length);
    expect(json.unreadable.map((u: { path: string }) => u.path)).toContain("drivers/misc/pipe.c");
    expect(json.adoption).toHaveLength(5);
    expect(json.sites).toBeUndefined();
    const withSites = JSON.parse(renderCensus(result, "json", { sites: true }));
    expect(withSites.sites).toHaveLength(result.sites.length);
    expect(parseCensusJson(renderCensus(result, "json")).adoption[1].strategy).toBe("pks-kmap");
    expect(() => parseCensusJson('{"schemaVersion": 2}')).toThrow(UserInputError);
  });

  it("table and markdown state the counting rules and the adoption table", () => {
    for (const format of ["table", "markdown"] as const) {
      const text = renderCensus(result, format);
      expect(text).toMatch(/Counting rules/);
      expect(text).toMatch(/pks-kmap/);
      expect(text).toMatch(/kmap-local-range/);
    }
    expect(renderCensus(result, "markdown")).toMatch(/^\| API \| group \| call/m);
  });
});

describe("census command", () => {
  const valid = () => ({ kernelSrc: root, format: "table", arch: "all" });

  it("rejects a missing or non-directory --kernel-src", () => {
    expect(() => validateCensusOptions({ ...valid(), kernelSrc: undefined })).toThrow(
      UserInputError,
    );
    expect(() => validateCensusOptions({ ...valid(), kernelSrc: join(root, "nope") })).toThrow(
      /no such directory/,
    );
    expect(() => validateCensusOptions({ ...valid(), kernelSrc: join(root, "Makefile") })).toThrow(
      /not a directory/,
    );
  });

  it("rejects an unknown --format with a suggestion", () => {
    expect(() => validateCensusOptions({ ...valid(), format: "jsno" })).toThrow(
      /Did you mean "json"/,
    );
  });

  it("rejects an unknown --arch, listing the tree's arch directories", () => {
    expect(() => validateCensusOptions({ ...valid(), arch: "x68" })).toThrow(/Did you mean "x86"/);
    expect(() => validateCensusOptions({ ...valid(), arch: "riscv" })).toThrow(UserInputError);
    expect(validateCensusOptions({ ...valid(), arch: "arm" }).arch).toBe("arm");
  });

  it("rejects --out in a missing directory", () => {
    expect(() =>
      validateCensusOptions({ ...valid(), out: join(root, "no/such/dir/x.json") }),
    ).toThrow(UserInputError);
  });

  it("writes --out atomically and prints to stdout otherwise", async () => {
    const out = join(dirname(root), "census.json");
    const program = new Command().exitOverride();
    registerCensusCommand(program);
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    await program.parseAsync(["census", "--kernel-src", root, "--format", "json", "--out", out], {
      from: "user",
    });
    stderr.mockRestore();
    expect(existsSync(out)).toBe(true);
    expect(JSON.parse(readFileSync(out, "utf8")).schemaVersion).toBe(1);

    const chunks: string[] = [];
    const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      chunks.push(String(chunk));
      return true;
    });
    const program2 = new Command().exitOverride();
    registerCensusCommand(program2);
    await program2.parseAsync(["census", "--kernel-src", root, "--format", "csv"], {
      from: "user",
    });
    stdout.mockRestore();
    expect(chunks.join("")).toMatch(/^# pkslab \d/);
    expect(chunks.join("")).toMatch(/^path,area,dir1,dir2,calls/m);
  });

  it("throws UserInputError from the action for bad input", async () => {
    const program = new Command().exitOverride();
    registerCensusCommand(program);
    await expect(
      program.parseAsync(["census", "--kernel-src", root, "--format", "yaml"], { from: "user" }),
    ).rejects.toThrow(UserInputError);
  });
});
