import { describe, expect, it } from "vitest";
import { FAULT_PKEY, OK, WRITE } from "../../core/machine/index.ts";
import { pteKey } from "../../core/machine/pte.ts";
import { PGMAP_KEY } from "../../strategies/common/pgmap.ts";
import kmapLocalRange from "../../strategies/kmap-local-range.ts";
import pksKmap from "../../strategies/pks-kmap.ts";
import { nonEmptyEvery } from "../helpers/lists.ts";
import { events, moved, setUp } from "./helpers.ts";

describe("kmap-local-range (Wilcox's multi-page kmap_local)", () => {
  it("one PKRS write lifts the key for a 4-page range, where pks-kmap's per-page loop does four", () => {
    // A 16 KiB btrfs extent buffer is 4 pages (kernel-mechanics.md 8.2). Its helpers
    // (read_extent_buffer, write_extent_buffer) loop page by page; under pks-kmap each
    // iteration is kmap_local_page(); memcpy; kunmap_local(), so the per-task count goes
    // 0 → 1 → 0 every time: one WRMSR to lift and one to restore per page. One
    // kmap_local_range() over the buffer lifts once and restores once.
    const perPage = setUp(pksKmap);
    const before = perPage.event("pkrs_writes");
    let lifts = 0;
    for (let page = 0; page < 4; page++) {
      const writes = perPage.event("pkrs_writes");
      const mapping = perPage.map(perPage.t[0], [page]);
      lifts += perPage.event("pkrs_writes") - writes;
      expect(perPage.machine.access(0, mapping.vpns[0], WRITE)).toBe(OK);
      perPage.unmap(perPage.t[0], mapping);
    }
    expect(lifts).toBe(4);
    expect(perPage.event("pkrs_writes") - before).toBe(8);

    const ranged = setUp(kmapLocalRange);
    const start = ranged.event("pkrs_writes");
    const mapping = ranged.map(ranged.t[0], [0, 1, 2, 3]);
    expect(ranged.event("pkrs_writes") - start).toBe(1);
    expect(mapping.contiguous).toBe(true);
    for (const vpn of mapping.vpns) expect(ranged.machine.access(0, vpn, WRITE)).toBe(OK);
    ranged.unmap(ranged.t[0], mapping);
    expect(ranged.event("pkrs_writes") - start).toBe(2);
    expect(ranged.machine.access(0, ranged.region.pfns[0], WRITE)).toBe(FAULT_PKEY);

    // pks-kmap matches the range only if the caller keeps all four pages mapped at once
    // (nested kmap_local_page() calls), which the per-page helpers do not do.
    const nested = setUp(pksKmap);
    const n0 = nested.event("pkrs_writes");
    nested.unmap(nested.t[0], nested.map(nested.t[0], [0, 1, 2, 3]));
    expect(nested.event("pkrs_writes") - n0).toBe(2);
  });

  it("physically contiguous ranges cost nothing but the PKRS write (direct map, no PTE, no TLB work)", () => {
    const s = setUp(kmapLocalRange);
    const before = events(s.machine);
    const mapping = s.map(s.t[0], [4, 5, 6, 7]);
    s.unmap(s.t[0], mapping);
    expect(mapping.vpns).toEqual([4, 5, 6, 7].map((page) => s.region.pfns[page]));
    expect(moved(before, events(s.machine))).toEqual({ pkrs_writes: 2 });
  });

  it("scattered pages go through a fixmap window: n PTE writes, n local INVLPGs at unmap, no IPI", () => {
    const s = setUp(kmapLocalRange, { contiguous: false });
    const before = events(s.machine);
    const mapping = s.map(s.t[0], [0, 1, 2, 3]);
    expect(mapping.contiguous).toBe(true);
    expect(nonEmptyEvery(mapping.vpns, (vpn) => vpn >= s.machine.fixmapBase)).toBe(true);
    expect(moved(before, events(s.machine))).toEqual({ pkrs_writes: 1, pte_writes: 4 });
    for (let i = 0; i < 4; i++) {
      expect(s.machine.access(0, mapping.vpns[i], WRITE)).toBe(OK);
      expect(s.machine.lastPfn).toBe(s.region.pfns[i]);
    }
    // The window's PTEs carry the pages' key, like every kernel mapping of protected memory.
    expect(pteKey(s.machine.pteOf(mapping.vpns[0]))).toBe(PGMAP_KEY);
    const mapped = events(s.machine);
    s.unmap(s.t[0], mapping);
    expect(moved(mapped, events(s.machine))).toEqual({ pkrs_writes: 1, pte_writes: 4, invlpg: 4 });
    expect(s.event("ipis")).toBe(before.ipis);
  });

  it("physical-only refuses scattered ranges with a reason", () => {
    const s = setUp(kmapLocalRange, {
      contiguous: false,
      options: { contiguity: "physical-only" },
    });
    const outcome = s.tryMap(s.t[0], [0, 1, 2, 3]);
    expect(outcome.kind).toBe("unsupported");
    expect(outcome.kind === "unsupported" && outcome.reason).toMatch(/not physically contiguous/);
    expect(s.tryMap(s.t[0], [0]).kind).toBe("ok"); // one page is always contiguous
  });

  it("nesting is limited as kmap_local's: 15 levels succeed, the 16th and 17th are refused", () => {
    // KM_MAX_IDX = 16 slots per CPU, and kmap_local_idx_push() BUGs at idx >= 16 after the
    // increment, so 15 are usable (kernel-mechanics.md 1.2). The 17th nested mapping the
    // issue names is refused, and so already is the 16th.
    for (const contiguous of [true, false]) {
      const s = setUp(kmapLocalRange, { contiguous, pages: 17 });
      const held = [];
      for (let page = 0; page < 15; page++) held.push(s.map(s.t[0], [page]));
      const sixteenth = s.tryMap(s.t[0], [15]);
      const seventeenth = s.tryMap(s.t[0], [16]);
      expect(sixteenth.kind).toBe("unsupported");
      expect(seventeenth.kind).toBe("unsupported");
      expect(seventeenth.kind === "unsupported" && seventeenth.reason).toMatch(/nesting limit/);
      while (held.length > 0) expect(s.unmap(s.t[0], held.pop()!).kind).toBe("ok");
      expect(s.machine.access(0, s.region.pfns[0], WRITE)).toBe(FAULT_PKEY);
    }
  });

  it("a window uses one level per page: three scattered 4-page ranges fit, a fourth does not", () => {
    const s = setUp(kmapLocalRange, { contiguous: false });
    const a = s.map(s.t[0], [0, 1, 2, 3]);
    const b = s.map(s.t[0], [4, 5, 6, 7]);
    const c = s.map(s.t[0], [8, 9, 10, 11]);
    expect(s.tryMap(s.t[0], [12, 13, 14, 15]).kind).toBe("unsupported");
    expect(s.tryMap(s.t[0], [12, 13, 14]).kind).toBe("ok"); // exactly 15
    expect(s.t[0].kmapDepth).toBe(15);
    expect(s.t[0].migrateDisable).toBe(15);
    // Fixmap addresses go down as slots are taken, so a later (inner) window lies just
    // below the earlier one, each ascending within itself.
    expect(b.vpns[3] + 1).toBe(a.vpns[0]);
    expect(a.contiguous && b.contiguous && c.contiguous).toBe(true);
  });

  it("unmaps LIFO only, answering unsupported (not throwing) out of order", () => {
    const s = setUp(kmapLocalRange, { contiguous: false });
    const outer = s.map(s.t[0], [0, 1]);
    const inner = s.map(s.t[0], [2, 3]);
    const outOfOrder = s.unmap(s.t[0], outer);
    expect(outOfOrder.kind).toBe("unsupported");
    expect(s.unmap(s.t[0], inner).kind).toBe("ok");
    expect(s.unmap(s.t[0], outer).kind).toBe("ok");
  });

  it("has no global or long-term variant", () => {
    const s = setUp(kmapLocalRange);
    expect(s.tryMap(s.t[0], [0], "write", "global").kind).toBe("unsupported");
    expect(s.tryMap(s.t[0], [0], "write", "long-term").kind).toBe("unsupported");
  });
});
