/**
 * The byte-level fast path (workloads/trace/bytes.ts) against the text parser: a file read
 * through readTraceFile (bytes first, text where the fast path declines) must parse to
 * exactly what parseTraceText makes of the same text, on any line.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { emptyScannedLine, scanLine } from "../../workloads/trace/bytes.ts";
import { parseTraceText, readTraceFile } from "../../workloads/trace/parse.ts";

const fixture = (name: string) => join(import.meta.dirname, "..", "fixtures", "traces", name);
const dir = mkdtempSync(join(tmpdir(), "pkslab-bytes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** Both parsers' results for `text` (latin1: one byte per character). */
async function bothParses(text: string) {
  const path = join(dir, `trace-${files++}.txt`);
  writeFileSync(path, text, "latin1");
  return { bytes: await readTraceFile(path), text: parseTraceText(text, path) };
}

/** Lines of accessor calls and markers in the capture's format, and near misses. */
const TEMPLATES = [
  "           mkdir-137     [000] .....    14.212185: read_extent_buffer: (read_extent_buffer+0x0/0x120 [btrfs]) eb=0xff2f7f8f121a6f00 start=30425088 off=126 len=17",
  "    kworker/u4:1-25      [001] .....    14.214207: btrfs_get_32: (btrfs_get_32+0x0/0x110 [btrfs]) eb=0xff2f7f8f121a6100 start=30572544 ptr=326 off=17",
  "           mkdir-137     [000] .....    14.217330: copy_extent_buffer_full: (copy_extent_buffer_full+0x0/0xf0 [btrfs]) eb=0xff2f7f8f121a6000 start=30441472 srceb=0xff2f7f8f121a6f00 srcstart=30425088 len=16384",
  "           mkdir-137     [000] .....    14.217331: copy_extent_buffer: (copy_extent_buffer+0x0/0xf0 [btrfs]) eb=0x10 start=4096 srceb=0x20 srcstart=8192 off=0x10 src=8 len=64",
  "           mkdir-137     [000] .....    14.217332: memmove_extent_buffer: (memmove_extent_buffer+0x0/0xf0 [btrfs]) eb=0x10 start=4096 off=100 src=200 len=50",
  "           mkdir-137     [000] .....    14.217333: memcpy_extent_buffer: (memcpy_extent_buffer+0x0/0xf0 [btrfs]) eb=0x10 start=4096 off=100 src=200 len=50",
  "           mkdir-137     [001] .....    14.217334: write_extent_buffer_fsid: (write_extent_buffer_fsid+0x0/0x70 [btrfs]) eb=0x30 start=12288",
  "           mkdir-137 (  137) [001] d..1.    14.212489: btrfs_search_slot: (btrfs_search_slot+0x0/0xc90 [btrfs]) root=0xff2f7f8ec3592000 ins_len=221 cow=1",
  "           mkdir-137     [000]    14.212490: btrfs_search_forward: (btrfs_search_forward+0x0/0x10 [btrfs])",
  "            sync-203     [001] .....    10.001100: btrfs_commit_transaction: (btrfs_commit_transaction+0x0/0xb80 [btrfs]) trans=0xff4079f10a2b1000",
  "            bash-201     [000] .....    10.000100: tracing_mark_write: pkslab: phase create",
  "           mkdir-202     [000] .....    10.000200: sys_mkdir(pathname: 7ffd1c2a, mode: 1ff)",
  "           mkdir-202     [000] .....    10.000700: sys_mkdir -> 0x0",
  "CPU:1 [LOST 12 EVENTS]",
  "# entries-in-buffer/entries-written: 12/20   #P:2",
];

/** Characters that move a line across the fast path's edges. */
const EDGES = [
  ..." \t\u00a0\r\v\f-()[]:.=x0123456789#_aZé\u0085",
  " -12 ",
  "0x",
  "  ",
  // A second argument of a name (the first counts), and the tail of a second event line
  // (a task can end at either `-PID`).
  " off=7",
  " eb=0x9",
  " start=0x1000",
  " z-5 [001] ..... 3.5: btrfs_get_8: (p) eb=0x2 start=0 ptr=1 off=2 ",
];

const mutatedLine = fc
  .tuple(
    fc.constantFrom(...TEMPLATES),
    fc.array(
      fc.tuple(fc.nat(), fc.constantFrom("insert", "replace", "delete"), fc.constantFrom(...EDGES)),
      { maxLength: 3 },
    ),
  )
  .map(([template, edits]) => {
    let line = template;
    for (const [where, kind, text] of edits) {
      const at = where % (line.length + 1);
      if (kind === "insert") line = line.slice(0, at) + text + line.slice(at);
      else if (kind === "replace") line = line.slice(0, at) + text + line.slice(at + 1);
      else line = line.slice(0, at) + line.slice(at + 1);
    }
    return line;
  });

describe("the byte-level fast path of the trace parser", () => {
  it("parses every fixture as the text parser does", async () => {
    const names = readdirSync(fixture(".")).filter((name) => name.endsWith(".txt"));
    expect(names.length).toBeGreaterThanOrEqual(4);
    for (const name of names) {
      const { bytes, text } = await bothParses(readFileSync(fixture(name), "latin1"));
      expect(bytes).toEqual(text);
    }
  });

  it("gives the text parser's result where the regex reads whitespace the scan does not", async () => {
    const second = " z-5 [001] ..... 3.5: btrfs_get_8: (p) eb=0x2 start=0 ptr=1 off=2";
    const lines = [
      // The regex's \s+ takes a no-break space after the first PID: the task ends there,
      // not at the later `-5 ` of the body.
      TEMPLATES[1].replace("-25 ", "-25\u00a0") + second,
      TEMPLATES[1].replace(".....", "..\u00a0..") + second,
      TEMPLATES[0].replace("read_extent_buffer: (", "read_extent_buffer:\u00a0("),
      `  ${TEMPLATES[0].trim().replace("mkdir", "#mkdir")}`,
    ];
    const { bytes, text } = await bothParses(`${lines.join("\n")}\n`);
    expect(bytes).toEqual(text);
    expect(text.stats.calls).toBe(4);
    // A last line cut short just after its carriage return: reported without it.
    const cut = await bothParses(`${TEMPLATES[0]}\n${TEMPLATES[1]}\r`);
    expect(cut.bytes).toEqual(cut.text);
    expect(cut.text.stats.badExamples[0].text).toBe(TEMPLATES[1].slice(0, 200));
  });

  it("gives the same result across the reader's 1 MiB chunks and a line longer than one", async () => {
    // About 3 MiB: lines cut by every chunk boundary, then a valid accessor line of 1.5 MiB
    // (an extra argument) that the reader's buffer must grow to hold, then more lines.
    const excerpt = readFileSync(fixture("capture-excerpt.txt"), "latin1");
    const long = `${TEMPLATES[0]} pad=${"x".repeat(1.5 * 2 ** 20)}`;
    const text = `${excerpt.repeat(6)}${long}\n${excerpt.repeat(3)}`;
    expect(text.length).toBeGreaterThan(3 * 2 ** 20);
    const { bytes, text: parsed } = await bothParses(text);
    expect(bytes).toEqual(parsed);
    expect(parsed.stats.badLines).toBe(0);
    expect(parsed.stats.calls).toBe(9 * parseTraceText(excerpt).stats.calls + 1);
  });

  it("gives the text parser's result on mutated lines, whatever the mutation", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(mutatedLine, { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        async (lines, finalNewline) => {
          const { bytes, text } = await bothParses(lines.join("\n") + (finalNewline ? "\n" : ""));
          expect(bytes).toEqual(text);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("takes the ordinary lines itself and leaves the others to the text parser", () => {
    const scanned = emptyScannedLine();
    const accepts = (line: string) => {
      const buf = Buffer.from(`${line}\n`, "latin1");
      return scanLine(buf, 0, buf.length - 1, scanned);
    };
    // The accessor calls and search markers of the capture's format.
    for (const line of TEMPLATES.slice(0, 9)) expect(accepts(line)).toBe(true);
    // Every other event, a header, a lost-events marker, a missing argument.
    for (const line of TEMPLATES.slice(9)) expect(accepts(line)).toBe(false);
    expect(accepts(TEMPLATES[0].replace(" len=17", ""))).toBe(false);
    // A no-break space where the regex's \s would match it.
    expect(accepts(TEMPLATES[0].replace("[000] ", "[000]\u00a0"))).toBe(false);
    expect(accepts(TEMPLATES[0])).toBe(true);
    expect(scanned).toMatchObject({ pid: 137, cpu: 0, timestamp: 14.212185 });
    expect(scanned.call?.accesses).toEqual([
      { eb: "0xff2f7f8f121a6f00", start: 30425088, offset: 126, length: 17, write: false },
    ]);
  });
});
