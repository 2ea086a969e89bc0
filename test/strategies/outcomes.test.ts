/**
 * The built-in strategies' outcome helpers: a mapping's state comes back typed at unmap
 * (mappingState), a mapping without state is a bug that throws, and ok() without a value
 * is one shared, frozen outcome.
 */
import { describe, expect, it } from "vitest";
import type { Mapping } from "../../strategies/api.ts";
import { mapped, mappingState, ok } from "../../strategies/common/outcomes.ts";

describe("outcome helpers", () => {
  it("hands back the state onMap gave a mapping", () => {
    const outcome = mapped([7, 8], { slots: true, depth: 2 });
    expect(outcome.kind).toBe("ok");
    if (outcome.kind !== "ok") return;
    expect(outcome.value.contiguous).toBe(true);
    expect(mappingState(outcome.value)).toEqual({ slots: true, depth: 2 });
  });

  it("throws for a mapping without state", () => {
    const bare: Mapping<{ slots: boolean }> = { vpns: [3], contiguous: true };
    expect(() => mappingState(bare)).toThrow(Error);
  });

  it("returns one frozen ok outcome without a value, a fresh one with a value", () => {
    expect(ok()).toBe(ok());
    expect(Object.isFrozen(ok())).toBe(true);
    expect(ok()).toEqual({ kind: "ok", value: undefined });
    expect(ok(1)).not.toBe(ok(1));
    expect(ok(1)).toEqual({ kind: "ok", value: 1 });
  });
});
