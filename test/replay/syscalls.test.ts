import { describe, expect, it } from "vitest";
import { Rng } from "../../core/rng.ts";
import type { Operation } from "../../workloads/api.ts";
import { resolveWorkloadParams } from "../../workloads/registry.ts";
import { FLAG_IN_SYSCALL, FLAG_SYSCALL } from "../../workloads/trace/data.ts";
import { parseTraceText } from "../../workloads/trace/parse.ts";
import { traceWorkload } from "../../workloads/trace/replay.ts";

const line = (cpu: number, time: string, event: string, body: string) =>
  `           touch-10      [00${cpu}] .....     ${time}: ${event}: ${body}`;
const read = (time: string) =>
  line(
    0,
    time,
    "read_extent_buffer",
    "(read_extent_buffer+0x0/0x120 [btrfs]) eb=0xffa0 start=30425088 off=101 len=17",
  );

const TRACE = [
  "# tracer: nop",
  line(0, "1.000000", "sys_enter", "NR 0 (3, 7ffd, 10, 0, 0, 0)"),
  read("1.000100"),
  read("1.000200"),
  line(0, "1.000300", "sys_exit", "NR 0 = 16"),
  read("1.000400"), // a kernel thread's call, outside any system call
  line(0, "1.000500", "sys_enter_pwrite64", "fd: 0x3"),
  read("1.000600"),
  "",
].join("\n");

describe("trace replay: system calls recorded in the trace (issue 18)", () => {
  it("marks the calls made inside a system call, and the first of each", () => {
    const trace = parseTraceText(TRACE);
    const flags = [...trace.cpus[0].flags];
    expect(flags.map((f) => (f & FLAG_IN_SYSCALL) !== 0)).toEqual([true, true, false, true]);
    expect(flags.map((f) => (f & FLAG_SYSCALL) !== 0)).toEqual([true, false, false, true]);
  });

  it("replays them as kernel-entry/kernel-exit around the calls inside, balanced", () => {
    const trace = parseTraceText(TRACE);
    const workload = traceWorkload(trace);
    const params = resolveWorkloadParams(workload, {});
    const ops: Operation[] = [
      ...workload.generate({
        thread: 0,
        threads: 1,
        cpus: 1,
        rng: Rng.derive(1, 0),
        params,
        region: workload.region(params),
        strategyMapsRanges: false,
        strategyDirectMapReads: false,
      }),
    ];
    const kinds = ops
      .map((op) => op.kind)
      .filter((kind) => kind === "kernel-entry" || kind === "kernel-exit" || kind === "complete");
    expect(kinds).toEqual([
      "kernel-entry",
      "complete",
      "complete",
      "kernel-exit",
      "complete",
      "kernel-entry",
      "complete",
      "kernel-exit",
    ]);
  });
});
