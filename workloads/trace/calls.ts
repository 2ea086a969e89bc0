/**
 * The operations of one traced accessor call under the `per-call` mapping (replay.ts): the
 * pages it touches mapped (in one piece for a range API, else page by page, nested), its
 * accesses split at the maps' boundaries, then the unmaps in reverse order, and the same
 * for a call of one access without the general path's lists.
 *
 * @packageDocumentation
 */
import type { Intent } from "../../core/contract/strategy.ts";
import type { Operation } from "../api.ts";
import { PAGE_BYTES } from "../common/streams.ts";
import { type CpuAccesses, FLAG_WRITE } from "./data.ts";

/** What building a call's per-call operations needs: its CPU's accesses, the stream's handles, where the operations go. */
export interface CallSite {
  readonly cpu: CpuAccesses;
  readonly pagesPerBuffer: number;
  /** The strategy maps ranges: a buffer's touched pages in one map, not page by page. */
  readonly mapsRanges: boolean;
  readonly nextHandle: () => number;
  readonly out: Operation[];
}

export interface Call {
  /** First and one-past-last access index of the call. */
  readonly first: number;
  readonly end: number;
}

/**
 * One call mapped per call, appended to `out`: the touched pages, nested, then the
 * accesses, then LIFO unmaps. Exported for the test that holds the one-access path to
 * the general one (`general` skips it).
 *
 * @internal
 */
export function perCall(site: CallSite, call: Call, general = false): void {
  if (!general && call.end === call.first + 1) {
    singleAccessCall(site, call.first);
    return;
  }
  const { cpu, pagesPerBuffer, mapsRanges, nextHandle, out } = site;
  const bufferPage = (buffer: number) => buffer * pagesPerBuffer;
  // Touched pages of each buffer of the call (in access order), with write intent.
  const spans: { buffer: number; first: number; last: number; write: boolean }[] = [];
  for (let a = call.first; a < call.end; a++) {
    const buffer = cpu.buffer[a];
    const first = Math.floor(cpu.offset[a] / PAGE_BYTES);
    const last = Math.min(
      pagesPerBuffer - 1,
      Math.floor((cpu.offset[a] + Math.max(1, cpu.length[a]) - 1) / PAGE_BYTES),
    );
    const write = (cpu.flags[a] & FLAG_WRITE) !== 0;
    const span = spans.find((s) => s.buffer === buffer);
    if (span) {
      span.first = Math.min(span.first, first);
      span.last = Math.max(span.last, last);
      span.write ||= write;
    } else {
      spans.push({ buffer, first, last, write });
    }
  }
  // Maps: one per span (range APIs) or one per page (one-page APIs).
  const maps: { handle: number; buffer: number; first: number; last: number }[] = [];
  for (const span of spans) {
    const intent: Intent = span.write ? "write" : "read";
    // The span in one piece (range APIs) or page by page.
    const pieces = mapsRanges ? 1 : Math.max(0, span.last - span.first + 1);
    for (let piece = 0; piece < pieces; piece++) {
      const first = mapsRanges ? span.first : span.first + piece;
      const last = mapsRanges ? span.last : first;
      const handle = nextHandle();
      maps.push({ handle, buffer: span.buffer, first, last });
      out.push({
        kind: "map",
        handle,
        page: bufferPage(span.buffer) + first,
        count: last - first + 1,
        intent,
        scope: "local",
      });
    }
  }
  for (let a = call.first; a < call.end; a++) {
    const buffer = cpu.buffer[a];
    const write = (cpu.flags[a] & FLAG_WRITE) !== 0;
    let offset = cpu.offset[a];
    let remaining = Math.max(1, cpu.length[a]);
    // Split at the maps' boundaries (per page for one-page APIs).
    while (remaining > 0) {
      const page = Math.floor(offset / PAGE_BYTES);
      const map = maps.find((m) => m.buffer === buffer && page >= m.first && page <= m.last);
      if (!map) break;
      const mapEnd = (map.last + 1) * PAGE_BYTES;
      const part = Math.min(remaining, mapEnd - offset);
      out.push({
        kind: "access",
        handle: map.handle,
        offset: offset - map.first * PAGE_BYTES,
        length: part,
        write,
      });
      offset += part;
      remaining -= part;
    }
  }
  for (let m = maps.length - 1; m >= 0; m--) out.push({ kind: "unmap", handle: maps[m].handle });
}

/**
 * perCall for a call of one access (most accessor helpers), without its span and map
 * lists: the same operations. The access's pages are mapped in one piece (range APIs) or
 * page by page, then accessed split at the maps' boundaries, then unmapped in reverse.
 */
function singleAccessCall(site: CallSite, a: number): void {
  const { cpu, pagesPerBuffer, mapsRanges, nextHandle, out } = site;
  const buffer = cpu.buffer[a];
  const offset = cpu.offset[a];
  const length = Math.max(1, cpu.length[a]);
  const first = Math.floor(offset / PAGE_BYTES);
  const last = Math.min(pagesPerBuffer - 1, Math.floor((offset + length - 1) / PAGE_BYTES));
  const write = (cpu.flags[a] & FLAG_WRITE) !== 0;
  const intent: Intent = write ? "write" : "read";
  const base = buffer * pagesPerBuffer;
  // Past the buffer's pages (last < first), perCall maps nothing page by page, and as a
  // range maps no pages and accesses nothing.
  if (last < first && !mapsRanges) return;
  if (mapsRanges || last <= first) {
    // One map: the whole span (range APIs), or its only page.
    const handle = nextHandle();
    out.push({
      kind: "map",
      handle,
      page: base + first,
      count: last - first + 1,
      intent,
      scope: "local",
    });
    if (last >= first) {
      const part = Math.min(length, (last + 1) * PAGE_BYTES - offset);
      out.push({
        kind: "access",
        handle,
        offset: offset - first * PAGE_BYTES,
        length: part,
        write,
      });
    }
    out.push({ kind: "unmap", handle });
    return;
  }
  // One map a page (a page-crossing access: rare), the access split at each page's end.
  const handles: number[] = [];
  for (let page = first; page <= last; page++) {
    const handle = nextHandle();
    handles.push(handle);
    out.push({ kind: "map", handle, page: base + page, count: 1, intent, scope: "local" });
  }
  let at = offset;
  let remaining = length;
  for (let page = first; page <= last && remaining > 0; page++) {
    const part = Math.min(remaining, (page + 1) * PAGE_BYTES - at);
    out.push({
      kind: "access",
      handle: handles[page - first],
      offset: at - page * PAGE_BYTES,
      length: part,
      write,
    });
    at += part;
    remaining -= part;
  }
  for (let k = handles.length - 1; k >= 0; k--) out.push({ kind: "unmap", handle: handles[k] });
}
