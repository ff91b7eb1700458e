// CSV (RFC 4180) for the records export and import: quoting on write, quoted fields with
// embedded commas, quotes and newlines on read. Small enough not to need a library.

/** One cell: quoted when it holds a comma, quote, or line break. */
function cell(text) {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows (arrays of strings) -> CSV text with CRLF line ends. */
export function toCsv(rows) {
  return rows.map((row) => row.map((value) => cell(String(value ?? ""))).join(",")).join("\r\n") + "\r\n";
}

/** CSV text -> rows (arrays of strings). A leading byte order mark and blank lines are dropped. */
export function parseCsv(text) {
  const source = text.replace(/^\uFEFF/, "");
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (quoted) {
      if (c === '"' && source[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"' && field === "") {
      quoted = true;
    } else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && source[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else {
      field += c;
    }
  }
  if (field !== "" || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ""));
}

/**
 * A field value -> its CSV text: files and multi relations/selects as JSON arrays (names and
 * ids), JSON and geoPoint values as JSON, everything else as its text.
 */
export function csvValue(field, value) {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return JSON.stringify(value);
  if (typeof value === "object") return JSON.stringify(value);
  if (field?.type === "json") return JSON.stringify(value);
  return String(value);
}

/** A CSV text -> the value to send for `field` (the inverse of `csvValue`). */
export function fromCsvValue(field, text) {
  const trimmed = text.trim();
  switch (field.type) {
    case "number":
      return trimmed === "" ? null : Number(trimmed);
    case "bool":
      return /^(true|1|yes)$/i.test(trimmed);
    case "json":
    case "geoPoint":
      return trimmed === "" ? null : JSON.parse(trimmed);
    case "select":
    case "relation":
      if (trimmed.startsWith("[")) return JSON.parse(trimmed);
      if (field.maxSelect > 1) return trimmed === "" ? [] : trimmed.split(",").map((s) => s.trim());
      return trimmed;
    default:
      return text;
  }
}
