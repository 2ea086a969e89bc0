/**
 * Parser of ftrace text traces of the btrfs extent-buffer accessors, as
 * scripts/capture/capture.sh records them (kprobe events in the `pkslab` group; see
 * docs/traces.md), into a compact, per-CPU, typed-array form plus the trace's own
 * statistics. The entry points; the parser is cut by concern:
 *
 * - lines.ts: the line lexer (one ftrace line into its fields, kprobe arguments, phases);
 * - bytes.ts: its fast path over a file's bytes, for ordinary accessor and search lines;
 * - events.ts: the event records (the accessor table, session and system-call markers)
 *   and the accesses one accessor event asks for;
 * - builder.ts, cpu-state.ts: the incremental parser and its per-CPU state;
 * - data.ts: the typed trace buffers and statistics a parse produces.
 *
 * replay.ts turns the parsed trace into a workload's operations.
 *
 * @packageDocumentation
 */
import { open } from "node:fs/promises";
import { withRoom } from "../../core/read-buffer.ts";
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

/** Bytes read from the file at a time. */
const CHUNK_BYTES = 1 << 20;

/**
 * Streams a trace file line by line: read as bytes a chunk at a time (the file is never
 * held in memory as a whole), each line fed to the builder's byte-level fast path, which
 * decodes it as latin1 text (ftrace text is ASCII, task names aside) when it is not an
 * ordinary accessor or search line.
 */
export async function readTraceFile(path: string): Promise<TraceData> {
  const builder = new TraceBuilder(path);
  const file = await open(path, "r");
  try {
    let buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let held = 0;
    for (;;) {
      // Full only when one line is longer than the buffer.
      buf = withRoom(buf, held);
      const { bytesRead } = await file.read(buf, held, buf.length - held, null);
      if (bytesRead === 0) break;
      const end = held + bytesRead;
      let from = 0;
      // The next carriage return at or after `from` (a line holding one is left to the text
      // path, whose regexes decide), found once per stretch rather than once per line.
      let cr = buf.indexOf(13, 0);
      if (cr >= end) cr = -1;
      for (let nl = buf.indexOf(10, from); nl >= 0 && nl < end; nl = buf.indexOf(10, from)) {
        const stop = nl > from && buf[nl - 1] === 13 ? nl - 1 : nl;
        if (cr >= 0 && cr < from) {
          cr = buf.indexOf(13, from);
          if (cr >= end) cr = -1;
        }
        if (cr >= 0 && cr < stop) builder.add(buf.toString("latin1", from, stop));
        else builder.addBytes(buf, from, stop);
        from = nl + 1;
      }
      buf.copy(buf, 0, from, end);
      held = end - from;
    }
    // Bytes after the last newline are a line cut short.
    if (held === 0) return builder.finish(false);
    // As parseTraceText does, without a carriage return before where the newline was.
    builder.add(buf.toString("latin1", 0, buf[held - 1] === 13 ? held - 1 : held));
    return builder.finish(true);
  } finally {
    await file.close();
  }
}
