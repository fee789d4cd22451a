// CSV (RFC 4180) for the audit export.
// Messages and replies are other people's text: a cell starting with = + - @ (or a tab / CR)
// would run as a formula when the file is opened in a spreadsheet, so such cells get a leading
// apostrophe (the OWASP advice). The NDJSON export keeps every value exactly.
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let s = typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  if (typeof value === "string" && FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRow(values: readonly unknown[]): string {
  return `${values.map(csvCell).join(",")}\r\n`;
}
