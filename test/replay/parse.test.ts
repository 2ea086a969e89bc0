import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FLAG_CALL, FLAG_SESSION, FLAG_WRITE } from "../../workloads/trace/data.ts";
import { parseArgs, parseLine } from "../../workloads/trace/lines.ts";
import { parseTraceText, readTraceFile } from "../../workloads/trace/parse.ts";

const fixture = (name: string) => join(import.meta.dirname, "..", "fixtures", "traces", name);

describe("parseLine", () => {
  it("parses a kprobe event line of the trace file", () => {
    const line = parseLine(
      "           mkdir-136     [001] .....     9.359250: read_extent_buffer: (read_extent_buffer+0x0/0x120 [btrfs]) eb=0xff4079f1164f2600 start=30425088 off=126 len=17",
    );
    expect(line).toMatchObject({
      kind: "event",
      task: "mkdir",
      pid: 136,
      cpu: 1,
      timestamp: 9.35925,
      event: "read_extent_buffer",
    });
    if (line.kind !== "event") throw new Error("not an event");
    expect(Object.fromEntries(parseArgs(line.body))).toEqual({
      eb: "0xff4079f1164f2600",
      start: "30425088",
      off: "126",
      len: "17",
    });
  });

  it("accepts task names with spaces and dashes, a TGID column and no flags", () => {
    expect(
      parseLine(" kworker/u4:2-btrfs-endio-1234 (  1234) [003] d..1. 12.5: btrfs_get_8: x=1"),
    ).toMatchObject({ kind: "event", task: "kworker/u4:2-btrfs-endio", pid: 1234, cpu: 3 });
    expect(parseLine("my task-77 [000] 3.25: btrfs_set_16: eb=0x1")).toMatchObject({
      kind: "event",
      task: "my task",
      pid: 77,
      cpu: 0,
      timestamp: 3.25,
    });
  });

  it("recognises lost-event markers, headers and malformed lines", () => {
    expect(parseLine("CPU:1 [LOST 42 EVENTS]")).toEqual({ kind: "lost", cpu: 1, count: 42 });
    expect(parseLine("# entries-in-buffer/entries-written: 5/9   #P:2")).toEqual({
      kind: "header",
      inBuffer: 5,
      written: 9,
    });
    expect(parseLine("#  | |")).toEqual({ kind: "header" });
    expect(parseLine("##### CPU 1 buffer started ####")).toEqual({ kind: "header" });
    expect(parseLine("   ")).toEqual({ kind: "blank" });
    expect(parseLine("garbage")).toMatchObject({ kind: "bad" });
    expect(parseLine("task-1 [000] .... notatime: ev: x")).toMatchObject({ kind: "bad" });
    expect(parseLine("task-1 [000] .... 1.5 ev x")).toMatchObject({ kind: "bad" });
  });
});

describe("the hand-made excerpt (malformed, truncated, lost, two CPUs)", () => {
  const trace = parseTraceText(readFileSync(fixture("hand-made.txt"), "utf8"), "hand-made");
  const { stats } = trace;

  it("counts bad and truncated lines without failing", () => {
    expect(stats.lines).toBe(21);
    expect(stats.events).toBe(13);
    expect(stats.badLines).toBe(3);
    expect(stats.badReasons).toEqual({
      "not an ftrace event line": 1,
      "read_extent_buffer: missing off or len": 1,
      "truncated last line": 1,
    });
    expect(stats.badExamples.map((bad) => bad.line)).toEqual([19, 20, 21]);
  });

  it("counts lost events from markers and from the header", () => {
    expect(stats.lostMarkers).toBe(1);
    expect(stats.entriesInBuffer).toBe(20);
    expect(stats.entriesWritten).toBe(22);
    expect(stats.lostEvents).toBe(3 + 2);
  });

  it("keeps each CPU's accesses apart, in order, with call and session flags", () => {
    expect(trace.cpus.map((cpu) => cpu.cpu)).toEqual([0, 1]);
    const [cpu0, cpu1] = trace.cpus;
    // cpu0: read, get_32, get_token_64 | write, memmove (read src, write dst).
    expect(Array.from(cpu0.offset)).toEqual([101, 4094, 8190, 5000, 300, 200]);
    expect(Array.from(cpu0.length)).toEqual([17, 4, 8, 100, 50, 50]);
    expect(Array.from(cpu0.buffer)).toEqual([0, 0, 2, 2, 2, 2]);
    expect(Array.from(cpu0.flags)).toEqual([
      FLAG_CALL | FLAG_SESSION,
      FLAG_CALL,
      FLAG_CALL,
      FLAG_CALL | FLAG_SESSION | FLAG_WRITE,
      FLAG_CALL,
      FLAG_WRITE,
    ]);
    // cpu1: set_8 | copy_full (read src buffer 0, write buffer 1) | commit | memzero.
    expect(Array.from(cpu1.buffer)).toEqual([0, 0, 1, 1]);
    expect(Array.from(cpu1.offset)).toEqual([125, 0, 0, 4000]);
    expect(Array.from(cpu1.flags)).toEqual([
      FLAG_CALL | FLAG_SESSION | FLAG_WRITE,
      FLAG_CALL,
      FLAG_WRITE,
      FLAG_CALL | FLAG_SESSION | FLAG_WRITE,
    ]);
    expect(stats.callsByCpu).toEqual({ "0": 5, "1": 3 });
  });

  it("counts the memcpy made by memmove once", () => {
    expect(stats.nestedCalls).toBe(1);
    expect(stats.callsByAccessor.memcpy_extent_buffer).toBeUndefined();
    expect(stats.callsByAccessor.memmove_extent_buffer).toBe(1);
  });
});

describe("sorting and streaming", () => {
  it("sorts a CPU's calls into timestamp order and counts the inversions", () => {
    const text = [
      "a-1 [000] ..... 2.0: btrfs_get_8: (btrfs_get_8+0x0/0x10 [btrfs]) eb=0x1 start=0 ptr=0 off=2",
      "a-1 [000] ..... 1.0: btrfs_get_8: (btrfs_get_8+0x0/0x10 [btrfs]) eb=0x1 start=0 ptr=0 off=1",
      "",
    ].join("\n");
    const trace = parseTraceText(text);
    expect(trace.stats.outOfOrder).toBe(1);
    expect(Array.from(trace.cpus[0].offset)).toEqual([1, 2]);
  });

  it("streams a file and gives the same result as the in-memory parser", async () => {
    const path = join(tmpdir(), `pkslab-trace-${process.pid}.txt`);
    const text = readFileSync(fixture("hand-made.txt"), "utf8");
    writeFileSync(path, text);
    const streamed = await readTraceFile(path);
    const inMemory = parseTraceText(text, path);
    expect(streamed.stats).toEqual(inMemory.stats);
    expect(streamed.cpus).toEqual(inMemory.cpus);
    // The same text with a final newline: the last line parses (and is bad for its args).
    writeFileSync(path, `${text}\n`);
    const complete = await readTraceFile(path);
    expect(complete.stats.badReasons["truncated last line"]).toBeUndefined();
    expect(complete.stats.badReasons["btrfs_get_16: missing ptr or off"]).toBe(1);
  });
});

describe("a real capture whose ring buffer overran", () => {
  // The first 300 lines of a PKSLAB_BUFKB=64 capture: the buffer kept 2,606 of 8,329 events.
  const trace = parseTraceText(
    readFileSync(fixture("capture-overrun-head.txt"), "utf8"),
    "overrun",
  );

  it("reports the overwritten events as lost, from the header", () => {
    expect(trace.stats.entriesInBuffer).toBe(2606);
    expect(trace.stats.entriesWritten).toBe(8329);
    expect(trace.stats.lostEvents).toBe(8329 - 2606);
    expect(trace.stats.badLines).toBe(0);
    expect(trace.stats.calls).toBeGreaterThan(200);
  });
});

describe("what real ftrace output holds (issue 21)", () => {
  const trace = parseTraceText(readFileSync(fixture("ftrace-mix.txt"), "utf8"), "mix");
  const { stats } = trace;

  it("syscall tracepoint lines are events, not bad lines", () => {
    expect(parseLine("  sync-203 [001] ..... 10.0009: sys_fsync(fd: 3)")).toMatchObject({
      kind: "event",
      event: "sys_fsync",
      pid: 203,
      cpu: 1,
      body: "(fd: 3)",
    });
    expect(parseLine("  cat-9 [000] ..... 1.5: sys_write -> 0x2")).toMatchObject({
      kind: "event",
      event: "sys_write",
    });
    expect(parseLine("  cat-9 [000] ..... 1.5: sys_write garbage")).toMatchObject({ kind: "bad" });
    expect(stats.badLines).toBe(0);
    expect(stats.events).toBe(12);
    expect(stats.otherEvents).toEqual({ sys_mkdir: 2, sys_fsync: 2 });
  });

  it("generic trace_marker phase markers start phases", () => {
    expect(stats.phases.map((phase) => phase.name)).toEqual(["create", "fsync"]);
    expect(stats.phases.map((phase) => phase.calls)).toEqual([3, 1]);
  });

  it("the fsid and chunk-tree-uuid writers are accessor writes of 16 bytes at their header offsets", () => {
    expect(stats.calls).toBe(4);
    expect(stats.callsByAccessor).toMatchObject({
      write_extent_buffer_fsid: 1,
      write_extent_buffer_chunk_tree_uuid: 1,
    });
    const cpu0 = trace.cpus.find((cpu) => cpu.cpu === 0);
    if (!cpu0) throw new Error("no CPU 0 accesses");
    // btrfs_get_32 at ptr 101, then fsid at offsetof(struct btrfs_header, fsid) = 32 and
    // chunk_tree_uuid at 64 (fs/btrfs/ctree.h), both written.
    expect(Array.from(cpu0.offset)).toEqual([101, 32, 64]);
    expect(Array.from(cpu0.length)).toEqual([4, 16, 16]);
    expect(Array.from(cpu0.flags).map((flags) => (flags & FLAG_WRITE) !== 0)).toEqual([
      false,
      true,
      true,
    ]);
  });
});
