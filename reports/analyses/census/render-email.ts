/** The census as a plain-text mail (72 ASCII columns), for a patch cover letter or a list post. */

import { CENSUS_API_GROUPS } from "./catalog.ts";
import type { CensusDirectoryRow, CensusResult } from "./census.ts";
import {
  apiRows,
  censusContext,
  classTotals,
  GROUP_SHORT,
  headlineDirs,
  type RenderCensusOptions,
  summaryLines,
  unreadableLines,
} from "./report.ts";

// ---------------------------------------------------------------------------------------
// email: plain ASCII, no line over 72 columns

const EMAIL_WIDTH = 72;

/** Word-wraps `text`, keeping its leading spaces on the first line; `indent` starts the others. */
export function wrap(text: string, width = EMAIL_WIDTH, indent = ""): string[] {
  const lines: string[] = [];
  const lead = /^ */.exec(text)![0];
  let current = "";
  for (const [index, word] of text.trim().split(/\s+/).filter(Boolean).entries()) {
    if (index === 0) {
      current = `${lead}${word}`;
      continue;
    }
    const candidate = current ? `${current} ${word}` : word;
    if (candidate.length <= width || !current) current = candidate;
    else {
      lines.push(current);
      current = `${indent}${word}`;
    }
  }
  if (current) lines.push(current);
  return lines;
}

function pad(value: string | number, width: number, right = true): string {
  const text = String(value);
  return right ? text.padStart(width) : text.padEnd(width);
}

/** Wraps `text` after a verbatim `prefix`; continuation lines align under the text. */
function hang(prefix: string, text: string, width = EMAIL_WIDTH): string[] {
  const indent = " ".repeat(prefix.length);
  return wrap(text, width - prefix.length).map(
    (line, index) => `${index === 0 ? prefix : indent}${line}`,
  );
}

/** Last resort so that no line exceeds the limit (e.g. a very long path) and all is ASCII. */
function enforceEmail(lines: string[]): string {
  const out: string[] = [];
  for (const raw of lines) {
    let line = raw.replace(/[^\x20-\x7e]/g, "?");
    while (line.length > EMAIL_WIDTH) {
      out.push(`${line.slice(0, EMAIL_WIDTH - 1)}\\`);
      line = `  ${line.slice(EMAIL_WIDTH - 1)}`;
    }
    out.push(line.trimEnd());
  }
  return `${out.join("\n")}\n`;
}

export function renderEmail(result: CensusResult, options: RenderCensusOptions): string {
  const top = Math.min(options.topDirectories ?? 15, 15);
  const out: string[] = [...censusContext(result, "email", "email", "head")];
  for (const line of summaryLines(result)) out.push(...wrap(line));
  out.push("");
  out.push("Calls per API (headline area); decl = declaration/definition;");
  out.push("excl = calls in the excluded areas (not in the totals)");
  out.push("");
  out.push(
    `${pad("API", 22, false)} ${pad("calls", 6)} ${pad("member", 6)} ${pad("define", 6)} ${pad("decl", 5)} ${pad("excl", 5)}`,
  );
  for (const row of apiRows(result)) {
    out.push(
      `${pad(row.name, 22, false)} ${pad(row.call, 6)} ${pad(row.member, 6)} ${pad(row.define, 6)} ${pad(row.declaration, 5)} ${pad(row.excludedCalls, 5)}`,
    );
  }
  const sums = classTotals(result.totals);
  out.push(
    `${pad("total", 22, false)} ${pad(sums.call, 6)} ${pad(sums.member, 6)} ${pad(sums.define, 6)} ${pad(sums.declaration, 5)} ${pad(result.excludedTotals.calls, 5)}`,
  );
  out.push("");
  out.push("Adoption: call sites each strategy forces to change");
  out.push("");
  for (const row of result.adoption) {
    out.push(`${pad(row.strategy, 18, false)} ${pad(row.sites, 6)} sites`);
    for (const term of row.terms) {
      const mark = term.counted ? "+" : " ";
      out.push(...hang(`  ${mark} ${pad(term.sites, 5, false)} `, term.label));
    }
  }
  out.push("");
  const header = `${pad("dir", 16, false)}${CENSUS_API_GROUPS.map((group) => pad(GROUP_SHORT[group], 6)).join("")} ${pad("calls", 6)}`;
  const dirLine = (row: CensusDirectoryRow) =>
    `${pad(row.dir.length > 16 ? `${row.dir.slice(0, 15)}~` : row.dir, 16, false)}${CENSUS_API_GROUPS.map((group) => pad(row.byGroup[group], 6)).join("")} ${pad(row.calls, 6)}`;
  out.push("Calls per top-level directory");
  out.push(header);
  for (const row of headlineDirs(result, "topLevel")) out.push(dirLine(row));
  out.push("");
  const second = headlineDirs(result, "secondLevel");
  out.push(`Top ${Math.min(top, second.length)} of ${second.length} directories one level down`);
  out.push(header);
  for (const row of second.slice(0, top)) out.push(dirLine(row));
  out.push("");
  out.push("Legend:");
  out.push("  km = kmap/kunmap, kma = kmap_atomic family, kml = kmap_local");
  out.push("  family, dm = page_address/folio_address/lowmem_page_address,");
  out.push("  vm = vmap/vunmap/vm_map_ram/vm_unmap_ram, rev = kmap_to_page,");
  out.push("  hlp = helpers that map internally (memcpy_to_page, zero_user...).");
  out.push("  Adoption: '+' terms add up to the strategy's number; unmarked");
  out.push("  terms are context and are not counted.");
  out.push("");
  out.push("Counting rules:");
  for (const rule of result.countingRules) out.push(...wrap(`- ${rule}`, EMAIL_WIDTH, "  "));
  out.push("");
  out.push(...unreadableLines(result, 10).flatMap((line) => wrap(line, EMAIL_WIDTH, "  ")));
  out.push("");
  out.push(...censusContext(result, "email", "email", "reproduce"));
  return enforceEmail(out);
}
