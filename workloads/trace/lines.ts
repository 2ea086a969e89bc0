/**
 * The line lexer of the trace parser: one line of ftrace text output into its fields
 * (task, PID, CPU, timestamp, event, body), lost-event markers and the buffer header;
 * kprobe arguments (`name=value`) and trace_marker phase names. Pure functions of the
 * text; the state of a parse is in builder.ts.
 *
 * Line format (the `trace` file of tracefs, or `trace_pipe`):
 *
 *     TASK-PID [(TGID)] [CPU] [FLAGS] TIMESTAMP: EVENT: ARGS
 *
 * @packageDocumentation
 */

/** One parsed line. */
export type TraceLine =
  | {
      readonly kind: "event";
      readonly task: string;
      readonly pid: number;
      readonly cpu: number;
      readonly timestamp: number;
      readonly event: string;
      /** Text after `EVENT: `. */
      readonly body: string;
    }
  | { readonly kind: "lost"; readonly cpu: number; readonly count: number }
  | { readonly kind: "header"; readonly inBuffer?: number; readonly written?: number }
  | { readonly kind: "blank" }
  | { readonly kind: "bad"; readonly reason: string };

// TASK-PID, optional (TGID), [CPU], optional flags, TIMESTAMP: EVENT: BODY. The task name
// may hold spaces and dashes; the PID is the last dash-separated number before the CPU.
const EVENT_LINE =
  /^\s*(.*?)-(\d+)\s+(?:\(\s*[-\d]+\)\s+)?\[(\d+)\]\s+(?:[^\s:]+\s+)?(\d+\.\d+):\s+([A-Za-z_][\w.]*):\s?(.*)$/;
// A syscall tracepoint (events/syscalls): `sys_close(fd: b)` on entry, `sys_write -> 0x2`
// on exit, with no colon after the event's name.
const SYSCALL_LINE =
  /^\s*(.*?)-(\d+)\s+(?:\(\s*[-\d]+\)\s+)?\[(\d+)\]\s+(?:[^\s:]+\s+)?(\d+\.\d+):\s+(sys_\w+)(\(.*\)|\s+->\s+\S+)\s*$/;
const LOST_LINE = /^CPU:(\d+) \[LOST (\d+) EVENTS\]\s*$/;
const ENTRIES_LINE = /entries-in-buffer\/entries-written:\s*(\d+)\/(\d+)/;

/** Parses one line of ftrace text output. Never throws. */
export function parseLine(line: string): TraceLine {
  if (line.trim() === "") return { kind: "blank" };
  if (line.startsWith("#")) {
    const entries = ENTRIES_LINE.exec(line);
    if (entries) {
      return { kind: "header", inBuffer: Number(entries[1]), written: Number(entries[2]) };
    }
    return { kind: "header" };
  }
  const lost = LOST_LINE.exec(line);
  if (lost) return { kind: "lost", cpu: Number(lost[1]), count: Number(lost[2]) };
  const match = EVENT_LINE.exec(line) ?? SYSCALL_LINE.exec(line);
  if (!match) return { kind: "bad", reason: "not an ftrace event line" };
  const timestamp = Number(match[4]);
  const cpu = Number(match[3]);
  if (!Number.isFinite(timestamp) || cpu > 8191) return { kind: "bad", reason: "bad CPU or time" };
  return {
    kind: "event",
    task: match[1],
    pid: Number(match[2]),
    cpu,
    timestamp,
    event: match[5],
    body: match[6],
  };
}

/**
 * The `name=value` arguments of a kprobe event body, after the `(func+0x0/0x.. [mod])`
 * location. Values are returned as text; a token without `=` is ignored.
 */
export function parseArgs(body: string): Map<string, string> {
  const args = new Map<string, string>();
  let text = body;
  if (text.startsWith("(")) {
    const close = text.indexOf(")");
    text = close < 0 ? "" : text.slice(close + 1);
  }
  for (const token of text.split(" ")) {
    const eq = token.indexOf("=");
    if (eq > 0) args.set(token.slice(0, eq), token.slice(eq + 1));
  }
  return args;
}

/** The text of argument `name` in an event body (` name=value`), or undefined. */
export function argText(body: string, name: string): string | undefined {
  const key = ` ${name}=`;
  const at = body.indexOf(key);
  if (at < 0) return undefined;
  const from = at + key.length;
  const end = body.indexOf(" ", from);
  return end < 0 ? body.slice(from) : body.slice(from, end);
}

/**
 * `text` as an unsigned decimal (`\d+`) or `0x`-hex (`0x[0-9a-fA-F]+`) number, NaN if it is
 * neither. Digit by digit: exact up to 2^53, and above it never back below (a regex test
 * and Number() were a tenth of parsing a long trace).
 */
export function unsignedNumber(text: string): number {
  // Any character outside ASCII makes the text neither; the rest read byte for byte.
  if (NOT_ASCII.test(text)) return Number.NaN;
  return unsignedDigits(Buffer.from(text, "latin1"), 0, text.length);
}

const NOT_ASCII = /[^\p{ASCII}]/u;

/** unsignedNumber of the bytes [from, to) of `buf` (the trace parser's fast path reads bytes). */
export function unsignedDigits(buf: Uint8Array, from: number, to: number): number {
  const hex = to - from > 2 && buf[from] === 48 && buf[from + 1] === 120;
  const radix = hex ? 16 : 10;
  let at = hex ? from + 2 : from;
  if (at >= to) return Number.NaN;
  let value = 0;
  for (; at < to; at++) {
    const c = buf[at];
    let digit: number;
    if (c >= 48 && c <= 57) digit = c - 48;
    else if (hex && c >= 97 && c <= 102) digit = c - 87;
    else if (hex && c >= 65 && c <= 70) digit = c - 55;
    else return Number.NaN;
    value = value * radix + digit;
  }
  return value;
}

/** Unsigned decimal or 0x-hex argument as a number; undefined if malformed or too big. */
export function numberArg(body: string, name: string): number | undefined {
  const text = argText(body, name);
  if (text === undefined) return undefined;
  const value = unsignedNumber(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** Prefix of the capture's phase markers (scripts/capture/guest-init.sh). */
export const PHASE_MARKER = "pkslab: phase ";

/**
 * A phase marker in a trace_marker line: the capture's `pkslab: phase NAME`, or any tool's
 * `phase NAME`, `phase: NAME` or `phase=NAME`, after an optional `TOOL: ` prefix.
 */
const GENERIC_PHASE = /^(?:[\w.-]+:\s*)?phase(?:\s*[:=]\s*|\s+)(\S.*)$/i;

/** The phase a trace_marker line's text starts, or undefined. */
export function phaseName(body: string): string | undefined {
  if (body.startsWith(PHASE_MARKER)) return body.slice(PHASE_MARKER.length).trim() || undefined;
  return GENERIC_PHASE.exec(body)?.[1].trim();
}
