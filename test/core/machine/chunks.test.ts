import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChunkSlabs } from "../../../core/machine/chunks.ts";
import { DEFAULT_MACHINE, Machine } from "../../../core/machine/index.ts";
import { PTE_WRITABLE } from "../../../core/machine/pte.ts";
import { loadProfile } from "../../../core/profile.ts";

describe("ChunkSlabs", () => {
  it("hands out zeroed, disjoint chunks of the asked length, across slab boundaries", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 40 }),
        (length, maxPerSlab, count) => {
          const slabs = new ChunkSlabs(length, maxPerSlab, (n) => new Uint32Array(n));
          const chunks: Uint32Array[] = [];
          for (let i = 0; i < count; i++) {
            const chunk = slabs.take();
            expect(chunk.length).toBe(length);
            expect(chunk.every((value) => value === 0)).toBe(true);
            chunk.fill(i + 1); // a chunk handed out later must not see this
            chunks.push(chunk);
          }
          chunks.forEach((chunk, i) => {
            expect(chunk.every((value) => value === i + 1)).toBe(true);
          });
        },
      ),
    );
  });
});

describe("direct-map chunks from slabs", () => {
  it("keep each page's PTE apart from every other page's, in many chunks", () => {
    const machine = new Machine({ ...DEFAULT_MACHINE, cpus: 2 }, loadProfile("server-2022"));
    // One page in each of 80 chunks of 512 pages (more chunks than one slab holds), then
    // one more page inside the first chunk.
    const pages = Array.from({ length: 80 }, (_, i) => (1 << 18) + i * 512 + (i % 7));
    pages.push(pages[0] + 3);
    for (const pfn of pages) machine.changeDirectMap(0, pfn, 1, { clear: PTE_WRITABLE });
    for (const pfn of pages) expect(machine.directPte(pfn) & PTE_WRITABLE).toBe(0);
    for (const pfn of pages) {
      expect(machine.directPte(pfn + 1) & PTE_WRITABLE).not.toBe(0);
      expect(machine.directPte(pfn - 1) & PTE_WRITABLE).not.toBe(0);
    }
  });
});
