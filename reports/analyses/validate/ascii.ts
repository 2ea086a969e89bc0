/** Plain ASCII text wrapped to 72 columns, for the email format of validate and claims. */

export const ASCII_WIDTH = 72;

/** Replaces anything outside printable ASCII with a close ASCII spelling or "?". */
export function ascii(text: string): string {
  return text
    .replaceAll("±", "+-")
    .replaceAll("×", "x")
    .replaceAll("≥", ">=")
    .replaceAll("≤", "<=")
    .replaceAll("Δ", "delta ")
    .replaceAll("µ", "u")
    .replaceAll("–", "-")
    .replaceAll("—", "-")
    .replaceAll("→", "->")
    .replace(/[^\x20-\x7e\n]/g, "?");
}

/** Greedy word wrap; words longer than the width are put on their own line. */
export function wrap(text: string, indent = "", first = indent, width = ASCII_WIDTH): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of ascii(text)
    .split(/\s+/)
    .filter((w) => w.length > 0)) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent;
      empty = true;
    }
    line += empty ? word : ` ${word}`;
    empty = false;
  }
  if (!empty || lines.length === 0) lines.push(line);
  return lines;
}
