/**
 * The html format: golden output, self-containment, and a real browser (playwright-core
 * with @sparticuz/chromium) loading the page with every network request refused.
 * Set PKSLAB_SKIP_BROWSER=1 where no Chromium can run.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderDocument } from "../../reports/commands/output.ts";

import { escapeHtml } from "../../reports/render/html.ts";
import { parseResults } from "../../reports/results/results.ts";
import { tempDir } from "../helpers/tmp.ts";
import { expectGolden, GOLDEN_DIR, withOfflinePage } from "./helpers.ts";

const doc = parseResults(
  JSON.parse(readFileSync(join(GOLDEN_DIR, "small.json"), "utf8")),
  "small.json",
);

describe("html format", () => {
  it("renders as in its golden file", async () => {
    expectGolden("small.html.golden", await renderDocument(doc, "html"));
  });

  it("is self-contained: no scripts, no external resources", async () => {
    const html = await renderDocument(doc, "html");
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(src|href)=["']?https?:/i);
    expect(html).not.toMatch(/@import|url\((?!#)/i);
    expect(html).not.toMatch(/\bgradient_\d/); // vega's process-wide ids are renamed
    // Overview, coverage (blocked, caught), then per workload cycles/op and the breakdown.
    expect(html.match(/<svg/g)?.length).toBe(3 + 2 * 2);
    expect(html).toContain(doc.context.configHash);
    expect(html).toContain("not measurements of a real machine");
  });

  it("escapes text", () => {
    expect(escapeHtml(`<a href="x">&'`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  });

  it.skipIf(process.env.PKSLAB_SKIP_BROWSER === "1")(
    "loads in Chromium offline with every chart drawn and no console errors",
    async () => {
      const dir = tempDir("html");
      const file = join(dir, "report.html");
      writeFileSync(file, await renderDocument(doc, "html"));
      await withOfflinePage(file, async ({ page, external, errors }) => {
        expect(await page.title()).toContain(doc.context.configHash);
        const svgs = page.locator("svg");
        expect(await svgs.count()).toBe(3 + 2 * 2);
        for (let i = 0; i < 3; i++) {
          const box = await svgs.nth(i).boundingBox();
          expect(box?.width ?? 0).toBeGreaterThan(100);
          expect(box?.height ?? 0).toBeGreaterThan(30);
        }
        expect(await page.locator("text=pks-kmap").count()).toBeGreaterThan(0);
        expect(await page.locator("table").count()).toBe(4); // two workloads, overall, cost profile
        expect(external).toEqual([]);
        expect(errors).toEqual([]);
      });
    },
    120_000,
  );

  it.skipIf(process.env.PKSLAB_SKIP_BROWSER === "1")(
    "shows names with HTML metacharacters as text and never runs them (a hand-edited --from file)",
    async () => {
      const strategy = `<img src="https://example.invalid/x.png" onerror="window.pwned='strategy'">`;
      const workload = `<script>window.pwned='workload'</script>&amp;`;
      const text = readFileSync(join(GOLDEN_DIR, "small.json"), "utf8")
        .replaceAll('"pks-kmap"', JSON.stringify(strategy))
        .replaceAll('"pmem-dax"', JSON.stringify(workload));
      const evil = parseResults(JSON.parse(text), "evil.json");
      const html = await renderDocument(evil, "html");
      expect(html).not.toContain(strategy);
      expect(html).not.toContain("<script>");
      const file = join(tempDir("html"), "evil.html");
      writeFileSync(file, html);
      await withOfflinePage(file, async ({ page, external, errors }) => {
        expect(await page.evaluate(() => (globalThis as { pwned?: string }).pwned)).toBeUndefined();
        expect(await page.locator("img").count()).toBe(0);
        expect(await page.locator("script").count()).toBe(0);
        const body = (await page.locator("body").textContent()) ?? "";
        expect(body).toContain(strategy);
        expect(body).toContain(workload);
        expect(external).toEqual([]);
        expect(errors).toEqual([]);
      });
    },
    120_000,
  );
});
