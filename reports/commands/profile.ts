/** `pkslab profile`'s table: the cost profile's parameters, unverified values marked. */
import { table } from "table";
import type { CostProfile } from "../../core/profile.ts";

/** The cost profile as a terminal table; unverified values are marked as such. */
export function renderProfile(profile: CostProfile): string {
  const rows: string[][] = [["parameter", "value", "unit", "confidence", "source"]];
  for (const [name, parameter] of Object.entries(profile.parameters).sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    rows.push([
      name,
      String(parameter.value),
      parameter.unit,
      parameter.confidence,
      parameter.source,
    ]);
  }
  const unverified = Object.values(profile.parameters).filter(
    (p) => p.confidence === "unverified",
  ).length;
  return (
    `cost profile ${profile.name}: ${profile.summary}\n` +
    table(rows, {
      columns: { 4: { width: 60, wrapWord: true } },
      drawHorizontalLine: (index, size) => index <= 1 || index === size,
    }) +
    `${unverified} of ${Object.keys(profile.parameters).length} values are unverified placeholders: sweep them (--set profile.NAME=V) before citing a result that depends on them.\n`
  );
}
