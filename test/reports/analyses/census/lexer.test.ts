/**
 * The census's lexer and classifier on snippets (reports/analyses/census/lexer.ts): comments
 * and literals blanked, API names matched as calls, each call classified. The tree walk,
 * adoption, renderers and command run on a synthetic tree in test/census.test.ts.
 */
import { describe, expect, it } from "vitest";
import {
  blankCommentsAndLiterals,
  type FileMatch,
  scanSource,
} from "../../../../reports/analyses/census/lexer.ts";

/** [api, class, line] triples for a snippet. */
function matches(source: string): [string, string, number][] {
  return scanSource(source).map((m: FileMatch) => [m.api, m.class, m.line]);
}

describe("blanking comments and literals", () => {
  it("keeps length and newlines", () => {
    const source = 'a /* x\n y */ b "s\\"t" c \'q\' // d\ne';
    const blanked = blankCommentsAndLiterals(source);
    expect(blanked.length).toBe(source.length);
    expect(blanked.split("\n").length).toBe(source.split("\n").length);
    expect(blanked.replace(/\s+/g, "")).toBe("abce");
  });

  it("ignores calls inside block and line comments", () => {
    expect(matches("/* kmap(page) */\n// kunmap(page)\n/*\n * page_address(p)\n */")).toEqual([]);
  });

  it("keeps line numbers after a multi-line comment", () => {
    expect(matches("/*\n kmap(a)\n*/\nx = kmap(b);\n")).toEqual([["kmap", "call", 4]]);
  });

  it("continues a // comment over a backslash-newline", () => {
    expect(matches("// comment \\\n kmap(a);\nkunmap(a);")).toEqual([["kunmap", "call", 3]]);
  });

  it("ignores calls inside string literals, including escaped quotes", () => {
    expect(matches('pr_info("kmap(%p)\\n", p);\ns = "a\\"kmap(b)";\n')).toEqual([]);
  });

  it("does not let a quote in a character literal open a string", () => {
    expect(matches("char c = '\"'; kmap(p); char d = '\\'';\nkunmap(p);")).toEqual([
      ["kmap", "call", 1],
      ["kunmap", "call", 2],
    ]);
  });

  it("does not let a comment opener inside a string hide code", () => {
    expect(matches('s = "/*"; kmap(p); t = "*/";')).toEqual([["kmap", "call", 1]]);
  });

  it("stops an unterminated literal at the end of its line (assembler comments)", () => {
    expect(matches("# don't map here\nx = kmap_atomic(p);\n")).toEqual([
      ["kmap_atomic", "call", 2],
    ]);
  });
});

describe("matching names", () => {
  it("tells lowmem_page_address from page_address", () => {
    expect(matches("a = lowmem_page_address(p); b = page_address(q);")).toEqual([
      ["lowmem_page_address", "call", 1],
      ["page_address", "call", 1],
    ]);
  });

  it("needs a word boundary and an opening parenthesis", () => {
    expect(
      matches(
        "__kmap_atomic(p); drm_gem_vmap(o); kmap_atomic_idx(); x = kmap; EXPORT_SYMBOL(kmap);",
      ),
    ).toEqual([]);
  });

  it("does not read kmap_atomic( as kmap(", () => {
    expect(matches("kmap_atomic(p); kmap_local_page(q); kmap_local_folio(f, 0);")).toEqual([
      ["kmap_atomic", "call", 1],
      ["kmap_local_page", "call", 1],
      ["kmap_local_folio", "call", 1],
    ]);
  });

  it("allows whitespace before the parenthesis", () => {
    expect(matches("kmap (p);\nkunmap\n\t(p);")).toEqual([
      ["kmap", "call", 1],
      ["kunmap", "call", 2],
    ]);
  });

  it("counts matches, not lines: several calls on one line", () => {
    expect(
      matches("copy_page(page_address(dst), page_address(src)); kunmap(a); kunmap(b);"),
    ).toEqual([
      ["page_address", "call", 1],
      ["page_address", "call", 1],
      ["kunmap", "call", 1],
      ["kunmap", "call", 1],
    ]);
  });

  it("matches the helpers that map internally", () => {
    const source =
      "memcpy_from_page(a, p, 0, n); memcpy_to_page(p, 0, a, n); memzero_page(p, 0, n);\n" +
      "zero_user(p, 0, n); zero_user_segment(p, 0, n); zero_user_segments(p, 0, 1, 2, 3);\n" +
      "copy_highpage(a, b); bvec_kmap_local(bv); folio_address(f); vm_map_ram(pp, n, -1);\n" +
      "vm_unmap_ram(v, n); kmap_to_page(v); vmap(pp, n, 0, PAGE_KERNEL); vunmap(v);";
    expect(scanSource(source).map((m) => m.api)).toEqual([
      "memcpy_from_page",
      "memcpy_to_page",
      "memzero_page",
      "zero_user",
      "zero_user_segment",
      "zero_user_segments",
      "copy_highpage",
      "bvec_kmap_local",
      "folio_address",
      "vm_map_ram",
      "vm_unmap_ram",
      "kmap_to_page",
      "vmap",
      "vunmap",
    ]);
  });
});

describe("classification", () => {
  it("member: an ops-table callback that shares the name", () => {
    expect(
      matches(
        "ret = dmabuf->ops->vmap(dmabuf, map);\nobj->funcs->vunmap (obj, map);\nops.vmap(x);\nops -> vmap(y);",
      ),
    ).toEqual([
      ["vmap", "member", 1],
      ["vunmap", "member", 2],
      ["vmap", "member", 3],
      ["vmap", "member", 4],
    ]);
  });

  it("define: the API's own function-like macro, with any spacing", () => {
    expect(
      matches("#define kunmap_atomic(addr) do { } while (0)\n#  define kunmap_local(x) 0\n"),
    ).toEqual([
      ["kunmap_atomic", "define", 1],
      ["kunmap_local", "define", 2],
    ]);
  });

  it("calls inside macro bodies count once, where written", () => {
    const source = [
      "#define page_address(page) lowmem_page_address(page)",
      "#define MAP_IT(p) \\",
      "\tdo { \\",
      "\t\tvoid *a = kmap_local_page(p); \\",
      "\t\tkunmap_local(a); \\",
      "\t} while (0)",
      "#define ADDR page_address(pg)",
      "#define OTHER \\",
      "\tkmap(pg)",
      "MAP_IT(x); MAP_IT(y);",
    ].join("\n");
    expect(matches(source)).toEqual([
      ["page_address", "define", 1],
      ["lowmem_page_address", "call", 1],
      ["kmap_local_page", "call", 4],
      ["kunmap_local", "call", 5],
      ["page_address", "call", 7],
      ["kmap", "call", 9],
    ]);
  });

  it("declaration: prototypes and definitions, including ones spread over two lines", () => {
    const source = [
      "void *page_address(const struct page *page);",
      "extern void vunmap(const void *addr);",
      "struct page *kmap_to_page(void *addr);",
      "static inline void *",
      "kmap_local_page(struct page *page)",
      "{",
      "\treturn page_address(page);",
      "}",
      "static __always_inline void *lowmem_page_address(const struct page *page)",
      "{ return x; }",
      "void",
      "kunmap(struct page *page) { }",
      "void * __must_check vmap(struct page **pages, unsigned int count);",
    ].join("\n");
    expect(matches(source)).toEqual([
      ["page_address", "declaration", 1],
      ["vunmap", "declaration", 2],
      ["kmap_to_page", "declaration", 3],
      ["kmap_local_page", "declaration", 5],
      ["page_address", "call", 7],
      ["lowmem_page_address", "declaration", 9],
      ["kunmap", "declaration", 12],
      ["vmap", "declaration", 13],
    ]);
  });

  it("call: after operators, casts, keywords and preprocessor directives", () => {
    const source = [
      "return kmap(p);",
      "x = (void *)page_address(p);",
      "if (!page_address(p)) return;",
      "else kunmap(p);",
      "n = sizeof(*kmap_local_page(p));",
      "v = *kmap_to_page(a);",
      "#endif",
      "\tvunmap(addr);",
      "#ifdef CONFIG_HIGHMEM",
      "\tkunmap_atomic(v);",
      "out: kunmap_local(v);",
      "case 1: kmap_atomic(p);",
    ].join("\n");
    expect(matches(source).map(([api, cls]) => `${api}:${cls}`)).toEqual([
      "kmap:call",
      "page_address:call",
      "page_address:call",
      "kunmap:call",
      "kmap_local_page:call",
      "kmap_to_page:call",
      "vunmap:call",
      "kunmap_atomic:call",
      "kunmap_local:call",
      "kmap_atomic:call",
    ]);
  });

  it("names the enclosing function, including token-pasted names in macros", () => {
    const source = [
      "static void read_extent_buffer(const struct extent_buffer *eb)",
      "{",
      "\tkaddr = page_address(eb->pages[i]);",
      "}",
      "#define DEFINE_GET(bits) \\",
      "u##bits btrfs_get_##bits(const struct extent_buffer *eb) \\",
      "{ \\",
      "\tchar *kaddr = page_address(eb->pages[0]); \\",
      "}",
      "static const struct ops o = { .x = 1 };",
      "void *p = page_address(q);",
    ].join("\n");
    expect(scanSource(source).map((m) => m.function)).toEqual([
      "read_extent_buffer",
      "btrfs_get_##bits",
      null,
    ]);
  });
});
