/**
 * A number given as input: a number as is, or text that reads as one (values from the
 * command line and from `--set` arrive as text). NaN for anything else, including blank
 * text (which `Number` would read as 0).
 */
export function numberFromInput(raw: unknown): number {
  if (typeof raw === "number") return raw;
  if (typeof raw === "string" && raw.trim() !== "") return Number(raw);
  return Number.NaN;
}
