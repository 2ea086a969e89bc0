import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HandleMap } from "../../../core/engine/handle-map.ts";

/** A run's handle traffic: sets, deletes and lookups, on a small key space so they collide. */
const operations = fc.array(
  fc.record({
    op: fc.constantFrom("set", "delete", "get", "has"),
    // Negative handles (the engine's page-table windows), large ones and a few non-integers.
    handle: fc.oneof(
      fc.integer({ min: -40, max: 40 }),
      fc.integer({ min: 0, max: 15 }),
      fc.integer({ min: 2 ** 31, max: 2 ** 31 + 40 }),
      fc.constantFrom(0.5, -1.5, 2 ** 40),
    ),
  }),
  // Long runs of traffic (fast-check's default size keeps arrays to a few elements).
  { minLength: 20, maxLength: 400, size: "max" },
);

describe("HandleMap", () => {
  it("behaves as a Map: the same lookups, sizes and insertion order after any traffic", () => {
    fc.assert(
      fc.property(operations, fc.integer({ min: 1, max: 64 }), (ops, capacity) => {
        const table = new HandleMap<number>(capacity);
        const reference = new Map<number, number>();
        ops.forEach(({ op, handle }, step) => {
          if (op === "set") {
            table.set(handle, step);
            reference.set(handle, step);
          } else if (op === "delete") {
            expect(table.delete(handle)).toBe(reference.delete(handle));
          } else if (op === "get") {
            expect(table.get(handle)).toBe(reference.get(handle));
          } else {
            expect(table.has(handle)).toBe(reference.has(handle));
          }
          expect(table.size).toBe(reference.size);
        });
        expect(table.keys()).toEqual([...reference.keys()]);
        expect(table.values()).toEqual([...reference.values()]);
        for (const handle of reference.keys())
          expect(table.get(handle)).toBe(reference.get(handle));
      }),
      { numRuns: 500 },
    );
  });

  it("finds every survivor after deletions that wrap around the table's end", () => {
    // Sixteen slots hold at most seven entries before growing: fill, delete half, refill.
    const table = new HandleMap<string>(1);
    const reference = new Map<number, string>();
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 7; i++) {
        const handle = round * 7 + i;
        table.set(handle, `v${handle}`);
        reference.set(handle, `v${handle}`);
      }
      for (const handle of [...reference.keys()].filter((h) => h % 2 === round % 2)) {
        table.delete(handle);
        reference.delete(handle);
      }
      for (const [handle, value] of reference) expect(table.get(handle)).toBe(value);
      expect(table.keys()).toEqual([...reference.keys()]);
    }
  });

  it("keeps a handle reachable when one it collided with is deleted, at every slot", () => {
    // Every ordered pair of 240 handles in one 16-slot table: each home slot, the last one
    // included (whose overflow wraps to the first), meets a collision.
    for (let a = 0; a < 240; a++) {
      for (let b = 0; b < 240; b++) {
        if (a === b) continue;
        const table = new HandleMap<number>(1);
        table.set(a, 1).set(b, 2);
        table.delete(a);
        expect(table.get(b)).toBe(2);
      }
    }
  });
});
