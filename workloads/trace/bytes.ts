/**
 * The byte-level fast path of the trace parser: an ordinary accessor-call or search-marker
 * line read straight from the file's bytes, without decoding it to a string or running the
 * line regexes. A long trace is almost all such lines, and on them the string path (regex,
 * argument lookups, slices) cost about 1.3 us a line.
 *
 * It only ever gives the string path's answer or none: a line it accepts is one that
 * lines.ts's EVENT_LINE matches with the same fields, of an event the string path treats
 * the same way, with every argument the string path would read present and well formed.
 * Anything else (another event, a missing argument, other whitespace, a non-ASCII byte
 * where the regexes look, a number past 2^53) is left to the string path, which decides.
 * test/replay/bytes.test.ts holds the two paths together on generated lines.
 *
 * @packageDocumentation
 */

import {
  ACCESSORS,
  type AccessorArgs,
  type AccessorCall,
  type AccessorInfo,
  callOf,
  SEARCH_MARKERS,
} from "./events.ts";
import { unsignedDigits } from "./lines.ts";

/** The character codes the scan looks for. */
const [SPACE, TAB, DOT, COLON] = [32, 9, 46, 58];

const isDigit = (c: number) => c >= 48 && c <= 57;
/** A space or tab: the only whitespace the fast path steps over. */
const isBlank = (c: number) => c === SPACE || c === TAB;
/**
 * A byte the regexes' `\s` might read otherwise than the fast path does (other whitespace,
 * control bytes, anything outside printable ASCII): such a line is left to them.
 */
const isUnusual = (c: number) => c < 33 || c > 126;
const isWordStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

/** What the fast path read from one line. Reused from line to line. */
export interface ScannedLine {
  pid: number;
  cpu: number;
  timestamp: number;
  /** The accessor call, or undefined for a search marker. */
  call: AccessorCall | undefined;
  /** The search marker's name (the table's string), when `call` is undefined. */
  marker: string;
}

export function emptyScannedLine(): ScannedLine {
  return { pid: 0, cpu: 0, timestamp: 0, call: undefined, marker: "" };
}

/** An event the fast path knows, by its name's bytes. */
interface KnownEvent {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly accessor: AccessorInfo | undefined;
}

const knownEvents = new Map<number, KnownEvent[]>();

function nameHash(buf: Uint8Array, from: number, to: number): number {
  let hash = 0x811c9dc5;
  for (let i = from; i < to; i++) hash = Math.imul(hash ^ buf[i], 0x01000193);
  return hash >>> 0;
}

function know(name: string, accessor: AccessorInfo | undefined): void {
  const bytes = Buffer.from(name, "latin1");
  const hash = nameHash(bytes, 0, bytes.length);
  const list = knownEvents.get(hash) ?? [];
  list.push({ name, bytes, accessor });
  knownEvents.set(hash, list);
}
for (const [name, info] of ACCESSORS) know(name, info);
for (const name of SEARCH_MARKERS) know(name, undefined);

function knownEvent(buf: Uint8Array, from: number, to: number): KnownEvent | undefined {
  const list = knownEvents.get(nameHash(buf, from, to));
  if (list === undefined) return undefined;
  outer: for (const known of list) {
    if (known.bytes.length !== to - from) continue;
    for (let i = 0; i < known.bytes.length; i++) {
      if (known.bytes[i] !== buf[from + i]) continue outer;
    }
    return known;
  }
  return undefined;
}

function skipBlanks(buf: Uint8Array, at: number, to: number): number {
  while (at < to && isBlank(buf[at])) at++;
  return at;
}

function skipDigits(buf: Uint8Array, at: number, to: number): number {
  while (at < to && isDigit(buf[at])) at++;
  return at;
}

/** Decimal digits [from, to) (at most 15, so exact), as Number() reads them. */
function decimal(buf: Uint8Array, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) value = value * 10 + (buf[i] - 48);
  return value;
}

const POWERS_OF_TEN = Array.from({ length: 16 }, (_, k) => 10 ** k);

/** The kprobe arguments the accessor table reads (events.ts AccessorArgs), by slot. */
const ARG_NAMES = ["eb", "start", "off", "len", "ptr", "src", "srceb", "srcstart"] as const;
type ArgName = (typeof ARG_NAMES)[number];
const SLOT = Object.fromEntries(ARG_NAMES.map((name, slot) => [name, slot])) as Record<
  ArgName,
  number
>;
const ARG_BYTES = ARG_NAMES.map((name) => Buffer.from(`${name}=`, "latin1"));
/** Slots by the first letter of their name (the names differ by their bytes after it). */
const SLOTS_BY_LETTER: number[][] = Array.from({ length: 128 }, () => []);
for (const [slot, name] of ARG_NAMES.entries()) SLOTS_BY_LETTER[name.charCodeAt(0)].push(slot);
/** Value range [from, to) of each slot's first occurrence, -1 when absent. */
const argFrom = new Int32Array(ARG_NAMES.length);
const argTo = new Int32Array(ARG_NAMES.length);

/** The slot whose `name=` starts the token at `at`, or -1. */
function argSlot(buf: Uint8Array, at: number, to: number): number {
  const first = buf[at];
  if (first >= 128) return -1;
  for (const slot of SLOTS_BY_LETTER[first]) {
    const key = ARG_BYTES[slot];
    if (at + key.length > to) continue;
    let same = true;
    for (let i = 0; i < key.length && same; i++) same = buf[at + i] === key[i];
    if (same) return slot;
  }
  return -1;
}

/**
 * Finds each argument's first ` name=` in [from, to), as lines.ts's argText does (the
 * value runs to the next space): a ` name=` always starts a space-separated token.
 */
function scanArgs(buf: Uint8Array, from: number, to: number): void {
  argFrom.fill(-1);
  for (let at = from; at < to; at++) {
    if (buf[at] !== SPACE) continue;
    const slot = argSlot(buf, at + 1, to);
    if (slot < 0 || argFrom[slot] >= 0) continue;
    const valueFrom = at + 1 + ARG_BYTES[slot].length;
    let valueTo = valueFrom;
    while (valueTo < to && buf[valueTo] !== SPACE) valueTo++;
    argFrom[slot] = valueFrom;
    argTo[slot] = valueTo;
    // The value holds no space: the next token starts after it.
    at = valueTo - 1;
  }
}

/** An argument as a safe integer; undefined when it is absent or malformed. */
function numberArg(buf: Uint8Array, name: ArgName): number | undefined {
  const slot = SLOT[name];
  if (argFrom[slot] < 0) return undefined;
  const value = unsignedDigits(buf, argFrom[slot], argTo[slot]);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** The last `eb` text decoded, to skip decoding the same pointer line after line. */
let lastEbBytes = new Uint8Array(32);
let lastEbLength = -1;
let lastEb = "";

/** An argument's text (latin1, as the text path decodes it); undefined when absent. */
function textArg(buf: Uint8Array, name: ArgName): string | undefined {
  const slot = SLOT[name];
  const from = argFrom[slot];
  if (from < 0) return undefined;
  const length = argTo[slot] - from;
  const remembered = name === "eb";
  if (remembered && length === lastEbLength) {
    let same = true;
    for (let i = 0; i < length && same; i++) same = lastEbBytes[i] === buf[from + i];
    if (same) return lastEb;
  }
  const text = Buffer.from(buf.buffer, buf.byteOffset + from, length).toString("latin1");
  if (remembered) {
    if (length > lastEbBytes.length) lastEbBytes = new Uint8Array(length * 2);
    lastEbBytes.set(buf.subarray(from, from + length));
    lastEbLength = length;
    lastEb = text;
  }
  return text;
}

/** The arguments scanArgs found, as events.ts's callOf reads them. */
function scannedArgs(buf: Uint8Array): AccessorArgs {
  return {
    eb: textArg(buf, "eb"),
    start: numberArg(buf, "start"),
    off: numberArg(buf, "off"),
    len: numberArg(buf, "len"),
    ptr: numberArg(buf, "ptr"),
    src: numberArg(buf, "src"),
    srceb: textArg(buf, "srceb"),
    srcstart: numberArg(buf, "srcstart"),
  };
}

/**
 * Reads line [from, to) of `buf` (no newline, no carriage return anywhere in it) into
 * `out` when it is an ordinary line of an accessor call or a search marker; false leaves
 * the line to the string path.
 *
 * The fields are EVENT_LINE's: the task ends at the first `-DIGITS` followed by a blank
 * (the regex's lazy task stops there too; where the rest of the line does not then match,
 * the regex could backtrack to a later dash, so the fast path gives up), an optional
 * `(TGID)`, `[CPU]`, optional flags, `SECONDS.FRACTION:`, `EVENT:`, one optional blank and
 * the body.
 */
export function scanLine(buf: Buffer, from: number, to: number, out: ScannedLine): boolean {
  // A header line; the task's own characters do not matter (the regex's lazy task takes
  // anything up to the first `-PID` that the rest of the line matches after).
  if (from >= to || buf[from] === 35 /* # */) return false;
  let pidStart = -1;
  let pidEnd = -1;
  for (let at = buf.indexOf(45 /* - */, from); at >= 0 && at < to; at = buf.indexOf(45, at + 1)) {
    const end = skipDigits(buf, at + 1, to);
    if (end === at + 1 || end >= to) continue;
    const after = buf[end];
    if (isBlank(after)) {
      pidStart = at + 1;
      pidEnd = end;
      break;
    }
    // Other whitespace would end the PID for the regex's \s+.
    if (isUnusual(after)) return false;
  }
  if (pidStart < 0 || pidEnd - pidStart > 15) return false;
  let at = skipBlanks(buf, pidEnd, to);
  if (at < to && buf[at] === 40 /* ( */) {
    at = skipBlanks(buf, at + 1, to);
    const tgid = at;
    while (at < to && (isDigit(buf[at]) || buf[at] === 45)) at++;
    if (at === tgid || at >= to || buf[at] !== 41 /* ) */) return false;
    if (at + 1 >= to || !isBlank(buf[at + 1])) return false;
    at = skipBlanks(buf, at + 1, to);
  }
  if (at >= to || buf[at] !== 91 /* [ */) return false;
  const cpuStart = at + 1;
  const cpuEnd = skipDigits(buf, cpuStart, to);
  if (cpuEnd === cpuStart || cpuEnd - cpuStart > 4 || cpuEnd + 1 >= to) return false;
  if (buf[cpuEnd] !== 93 /* ] */ || !isBlank(buf[cpuEnd + 1])) return false;
  const cpu = decimal(buf, cpuStart, cpuEnd);
  if (cpu > 8191) return false;
  at = skipBlanks(buf, cpuEnd + 1, to);
  // Optional flags: a token up to a blank; without them the timestamp follows directly.
  let tokenEnd = at;
  for (; tokenEnd < to; tokenEnd++) {
    const c = buf[tokenEnd];
    if (isBlank(c) || c === COLON) break;
    if (isUnusual(c)) return false;
  }
  if (tokenEnd >= to) return false;
  if (buf[tokenEnd] !== COLON) at = skipBlanks(buf, tokenEnd, to);
  const secondsStart = at;
  const secondsEnd = skipDigits(buf, secondsStart, to);
  if (secondsEnd === secondsStart || secondsEnd >= to || buf[secondsEnd] !== DOT) return false;
  const timeEnd = skipDigits(buf, secondsEnd + 1, to);
  const fraction = timeEnd - secondsEnd - 1;
  if (fraction === 0 || timeEnd + 1 >= to || buf[timeEnd] !== COLON) return false;
  if (secondsEnd - secondsStart + fraction > 15 || !isBlank(buf[timeEnd + 1])) return false;
  const eventStart = skipBlanks(buf, timeEnd + 1, to);
  if (eventStart >= to || !isWordStart(buf[eventStart])) return false;
  let eventEnd = eventStart + 1;
  while (
    eventEnd < to &&
    (isWordStart(buf[eventEnd]) || isDigit(buf[eventEnd]) || buf[eventEnd] === DOT)
  ) {
    eventEnd++;
  }
  if (eventEnd >= to || buf[eventEnd] !== COLON) return false;
  const known = knownEvent(buf, eventStart, eventEnd);
  if (known === undefined) return false;
  // The digits of SECONDS.FRACTION as one integer over a power of ten: both exact, so the
  // quotient is the correctly rounded value Number() gives the text.
  const digits =
    decimal(buf, secondsStart, secondsEnd) * POWERS_OF_TEN[fraction] +
    decimal(buf, secondsEnd + 1, timeEnd);
  out.pid = decimal(buf, pidStart, pidEnd);
  out.cpu = cpu;
  out.timestamp = digits / POWERS_OF_TEN[fraction];
  out.marker = known.name;
  out.call = undefined;
  if (known.accessor === undefined) return true;
  // One blank before the body (the regex's `\s?`; other whitespace there leaves no `(`
  // where the fast path looks, so the text path takes the line). The arguments follow the
  // probe location `(func+0x0/0x.. [btrfs])`.
  const bodyStart = eventEnd + 1 < to && isBlank(buf[eventEnd + 1]) ? eventEnd + 2 : eventEnd + 1;
  if (bodyStart >= to || buf[bodyStart] !== 40) return false;
  const close = buf.indexOf(41 /* ) */, bodyStart + 1);
  if (close < 0 || close >= to) return false;
  scanArgs(buf, close + 1, to);
  // A bad line's reason is the text path's to give.
  const call = callOf(known.name, known.accessor, scannedArgs(buf));
  if (typeof call === "string") return false;
  out.call = call;
  return true;
}
