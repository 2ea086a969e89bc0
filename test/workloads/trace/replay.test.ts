import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Operation } from "../../../core/contract/workload.ts";
import { perCall } from "../../../workloads/trace/calls.ts";
import { FLAG_CALL, FLAG_WRITE } from "../../../workloads/trace/data.ts";

/** One traced CPU holding a single access, as the parser would store it. */
function oneAccess(buffer: number, offset: number, length: number, write: boolean) {
  return {
    cpu: 0,
    buffer: Int32Array.of(buffer),
    offset: Int32Array.of(offset),
    length: Int32Array.of(length),
    flags: Uint8Array.of(FLAG_CALL | (write ? FLAG_WRITE : 0)),
  };
}

function operationsOf(
  cpu: ReturnType<typeof oneAccess>,
  pagesPerBuffer: number,
  mapsRanges: boolean,
  general: boolean,
): { ops: Operation[]; handles: number } {
  let next = 100;
  const ops: Operation[] = [];
  perCall(
    { cpu, pagesPerBuffer, mapsRanges, nextHandle: () => next++, out: ops },
    { first: 0, end: 1 },
    general,
  );
  return { ops, handles: next - 100 };
}

describe("trace replay, per-call mapping", () => {
  it("maps, accesses and unmaps a one-access call as the general path does", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 7 }),
        // Offsets past a buffer's last page included (the clamped span).
        fc.integer({ min: 0, max: 5 * 4096 }),
        fc.integer({ min: 0, max: 3 * 4096 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        (buffer, offset, length, write, pagesPerBuffer, mapsRanges) => {
          const cpu = oneAccess(buffer, offset, length, write);
          const fast = operationsOf(cpu, pagesPerBuffer, mapsRanges, false);
          const general = operationsOf(cpu, pagesPerBuffer, mapsRanges, true);
          expect(fast.ops).toEqual(general.ops);
          // Handles drawn: the stream's later handles do not shift either.
          expect(fast.handles).toBe(general.handles);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("splits a page-crossing access at the page boundary for one-page APIs", () => {
    const { ops } = operationsOf(oneAccess(1, 4090, 10, true), 4, false, false);
    expect(ops.map((op) => op.kind)).toEqual(["map", "map", "access", "access", "unmap", "unmap"]);
    const accesses = ops.filter((op) => op.kind === "access");
    expect(accesses.map((op) => [op.offset, op.length])).toEqual([
      [4090, 6],
      [0, 4],
    ]);
    // Unmapped in reverse order of mapping.
    const maps = ops.filter((op) => op.kind === "map").map((op) => op.handle);
    const unmaps = ops.filter((op) => op.kind === "unmap").map((op) => op.handle);
    expect(unmaps).toEqual([...maps].reverse());
  });
});
