import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { argText, numberArg, unsignedNumber } from "../../../workloads/trace/lines.ts";

/** The definition numberArg had before it parsed digits itself: a regex, then Number(). */
function reference(text: string): number | undefined {
  if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

const safe = (value: number) => (Number.isSafeInteger(value) ? value : undefined);

describe("kprobe argument numbers", () => {
  it("read as the regex-and-Number() definition reads them, on any text", () => {
    const alphabet = fc.constantFrom(..."0123456789abcdefABCDEFxX -+.g".split(""));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 24 }), (chars) => {
        const text = chars.join("");
        expect(safe(unsignedNumber(text))).toBe(reference(text));
      }),
      { numRuns: 5000 },
    );
  });

  it("are exact up to 2^53 - 1 in both radixes and undefined past it", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n }), (value) => {
        for (const text of [value.toString(10), `0x${value.toString(16)}`]) {
          expect(safe(unsignedNumber(text))).toBe(reference(text));
        }
      }),
    );
    expect(unsignedNumber(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(safe(unsignedNumber("9007199254740992"))).toBeUndefined();
  });

  it("come from the first ` name=` of the body, up to the next space", () => {
    const body = " eb=0xffff8881 start=16384 off=0x10 len=4 xoff=7";
    expect(argText(body, "eb")).toBe("0xffff8881");
    expect(numberArg(body, "start")).toBe(16384);
    expect(numberArg(body, "off")).toBe(16);
    expect(numberArg(body, "len")).toBe(4);
    expect(numberArg(body, "src")).toBeUndefined();
    expect(numberArg(" off=12x", "off")).toBeUndefined();
  });
});
