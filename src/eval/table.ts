/** Plain-text tables for the terminal: a header, aligned columns, numbers right-aligned. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = rows.map((r) => r.map((v) => (typeof v === "number" ? formatNumber(v) : v)));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const numeric = header.map((_, i) => rows.every((r) => typeof r[i] === "number"));
  const line = (r: readonly string[]) =>
    r.map((v, i) => (numeric[i] ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)].join("\n");
}

function formatNumber(v: number): string {
  if (Number.isNaN(v)) return "-";
  return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) >= 100 ? 1 : 3);
}

/** A fraction as a percentage, one decimal unless asked: 0.4567 -> "45.7%" (2 digits: "45.67%"). */
export function percent(v: number, digits = 1): string {
  return Number.isNaN(v) ? "-" : `${(v * 100).toFixed(digits)}%`;
}
