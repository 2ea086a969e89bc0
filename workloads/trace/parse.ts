/**
 * Parser of ftrace text traces of the btrfs extent-buffer accessors, as
 * scripts/capture/capture.sh records them (kprobe events in the `pkslab` group; see
 * docs/traces.md), into a compact, per-CPU, typed-array form plus the trace's own
 * statistics. The entry points; the parser is cut by concern:
 *
 * - lines.ts: the line lexer (one ftrace line into its fields, kprobe arguments, phases);
 * - events.ts: the event records (the accessor table, session and system-call markers)
 *   and the accesses one accessor event asks for;
 * - builder.ts, cpu-state.ts: the incremental parser and its per-CPU state;
 * - data.ts: the typed trace buffers and statistics a parse produces.
 *
 * replay.ts turns the parsed trace into a workload's operations.
 *
 * @packageDocumentation
 */
import { createReadStream } from "node:fs";
import { TraceBuilder } from "./builder.ts";
import type { TraceData } from "./data.ts";

/** Parses trace text held in memory (tests, small excerpts). */
export function parseTraceText(text: string, source = "(text)"): TraceData {
  const builder = new TraceBuilder(source);
  const lines = text.split("\n");
  const truncated = lines[lines.length - 1] !== "";
  if (!truncated) lines.pop();
  for (const line of lines) builder.add(line.endsWith("\r") ? line.slice(0, -1) : line);
  return builder.finish(truncated);
}

/** Streams a trace file line by line (the text is never held in memory as a whole). */
export async function readTraceFile(path: string): Promise<TraceData> {
  const builder = new TraceBuilder(path);
  // ftrace text is ASCII (task names aside): latin1 decodes byte for byte, fast.
  const input = createReadStream(path, { encoding: "latin1", highWaterMark: 1 << 20 });
  let carry = "";
  for await (const chunk of input as AsyncIterable<string>) {
    const text = carry === "" ? chunk : carry + chunk;
    let from = 0;
    for (let end = text.indexOf("\n", from); end >= 0; end = text.indexOf("\n", from)) {
      const stop = end > from && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
      builder.add(text.slice(from, stop));
      from = end + 1;
    }
    carry = text.slice(from);
  }
  // Text after the last newline is a line cut short.
  if (carry !== "") builder.add(carry);
  return builder.finish(carry !== "");
}
