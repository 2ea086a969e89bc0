/**
 * Integration test of `pkslab census` on a real Linux tree. Runs only when
 * PKSLAB_KERNEL_SRC points to an unpacked tree (`.ci/run` gets Debian's 6.1 tree with
 * scripts/fetch-linux-source.sh). The kernel source is never part of the repository.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { BTRFS_CROSS_PAGE_HELPERS } from "../reports/analyses/census/adoption.ts";
import { type CensusResult, runCensus } from "../reports/analyses/census/census.ts";
import { renderCensus } from "../reports/analyses/census/render.ts";

const kernelSrc = process.env.PKSLAB_KERNEL_SRC;

describe.skipIf(!kernelSrc)("census of a real Linux tree (PKSLAB_KERNEL_SRC)", () => {
  let result: CensusResult;
  let wallMs: number;

  beforeAll(() => {
    const started = performance.now();
    result = runCensus({ kernelSrc: kernelSrc! });
    wallMs = performance.now() - started;
    console.log(
      `census of ${result.tree.release}: ${result.scan.filesScanned} files, ` +
        `${result.totals.calls} calls, scan ${(result.scan.elapsedMs / 1000).toFixed(1)} s, ` +
        `runCensus ${(wallMs / 1000).toFixed(1)} s`,
    );
  }, 180_000);

  it("is a 6.1 tree and the whole scan completes", () => {
    expect(result.tree.version).toBe("6");
    expect(result.tree.patchlevel).toBe("1");
    expect(result.scan.filesScanned).toBeGreaterThan(50_000);
    expect(result.scan.unreadable).toEqual([]);
    expect(result.scan.symlinksSkipped).toBeGreaterThan(0);
  });

  // The 30 s scan budget is a performance goal: it is measured by the benchmark suite
  // (npm run bench), never asserted here, where machine load would make it flaky.

  it("fs/btrfs has no kmap() or kmap_atomic() call (btrfs, June 2022)", () => {
    const btrfs = result.sites.filter((site) => site.path.startsWith("fs/btrfs/"));
    const forbidden = btrfs.filter(
      (site) => site.class === "call" && (site.api === "kmap" || site.api === "kmap_atomic"),
    );
    expect(forbidden).toEqual([]);
    // ... and it did convert to kmap_local_page().
    expect(
      btrfs.filter((s) => s.class === "call" && s.api === "kmap_local_page").length,
    ).toBeGreaterThan(10);
    const row = result.directories.secondLevel.find((d) => d.dir === "fs/btrfs");
    expect(row?.byApi.kmap ?? 0).toBe(0);
    expect(row?.byApi.kmap_atomic ?? 0).toBe(0);
  });

  it("per-file rows sum to the totals, per API and per class", () => {
    for (const area of ["kernel", "excluded"] as const) {
      const files = result.files.filter((f) => f.area === area);
      const totals = area === "kernel" ? result.totals : result.excludedTotals;
      expect(files.reduce((s, f) => s + f.totals.call, 0)).toBe(totals.calls);
      for (const api of result.apis) {
        for (const cls of ["call", "member", "define", "declaration"] as const) {
          const sum = files.reduce((s, f) => s + (f.byApi[api.name]?.[cls] ?? 0), 0);
          expect(sum, `${area} ${api.name} ${cls}`).toBe(totals.byApi[api.name][cls]);
        }
      }
    }
    const csv = renderCensus(result, "csv")
      .trimEnd()
      .split("\n")
      .filter((line) => !line.startsWith("# "))
      .slice(1);
    const csvCalls = csv
      .map((line) => line.split(","))
      .filter((cells) => cells[1] === "kernel")
      .reduce((s, cells) => s + Number(cells[4]), 0);
    expect(csvCalls).toBe(result.totals.calls);
  });

  it("has sane counts for a 6.1 tree", () => {
    const calls = (api: string) => result.totals.byApi[api].call;
    expect(calls("kmap_local_page")).toBeGreaterThan(100);
    expect(calls("page_address")).toBeGreaterThan(1000);
    expect(calls("kmap_atomic")).toBeGreaterThan(300);
    expect(calls("kmap")).toBeGreaterThan(50);
    expect(calls("vmap")).toBeGreaterThan(30);
    // ->vmap( ops callbacks exist and are not calls.
    expect(result.totals.byApi.vmap.member).toBeGreaterThan(0);
    // The APIs' own definitions are found (include/linux/highmem-internal.h, mm/vmalloc.c).
    expect(result.totals.byApi.kmap_local_page.declaration).toBeGreaterThan(0);
    expect(result.totals.byApi.vmap.declaration).toBeGreaterThan(0);
    expect(result.totals.byApi.kunmap_local.define).toBeGreaterThan(0);
    // lowmem_page_address is not double-counted as page_address.
    const lowmem = result.sites.filter((s) => s.api === "lowmem_page_address").length;
    expect(lowmem).toBeGreaterThan(0);
  });

  it("maps the counts onto the strategies", () => {
    const sites = Object.fromEntries(result.adoption.map((a) => [a.strategy, a.sites]));
    expect(sites.unprotected).toBe(0);
    expect(sites["pks-kmap"]).toBeGreaterThan(1000);
    expect(sites["no-direct-map"]).toBeGreaterThan(sites["pks-kmap"]);
    expect(sites["no-direct-map"]).toBeGreaterThan(sites["vmap-alias"]);
    const range = result.adoption.find((a) => a.strategy === "kmap-local-range")!;
    const functions = Object.keys(range.terms[0].byFunction ?? {}).map((key) => key.split(":")[1]);
    for (const helper of BTRFS_CROSS_PAGE_HELPERS) expect(functions).toContain(helper);
  });

  it("the x86 view drops the other architectures", () => {
    const x86 = runCensus({ kernelSrc: kernelSrc!, arch: "x86" });
    expect(
      x86.files.some((f) => f.path.startsWith("arch/") && !f.path.startsWith("arch/x86/")),
    ).toBe(false);
    expect(x86.totals.calls).toBeLessThan(result.totals.calls);
    const outsideArch = (r: CensusResult) =>
      r.files
        .filter((f) => f.area === "kernel" && f.dir1 !== "arch")
        .reduce((s, f) => s + f.totals.call, 0);
    expect(outsideArch(x86)).toBe(outsideArch(result));
  }, 120_000);
});
