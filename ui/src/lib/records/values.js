// Value conversions of the records screens: datetimes between PocketBase's UTC text and the
// browser's local time (what a datetime-local input shows), and cell values to short texts.

/** "2024-01-02 03:04:05.000Z" (UTC) -> "2024-01-02T04:04:05" in local time, for an input. */
export function utcToLocalInput(value) {
  if (!value) return "";
  const date = new Date(String(value).replace(" ", "T"));
  if (Number.isNaN(date.getTime())) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/** A datetime-local input's value (local time) -> PocketBase's "2006-01-02 15:04:05.000Z". */
export function localInputToUtc(value) {
  if (!value) return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toISOString().replace("T", " ");
}

/** The name of the time zone the inputs use, for a hint next to them. */
export function localZoneName() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";
  } catch {
    return "local time";
  }
}

/** The label a record shows in relation pickers: its first presentable text field, else its id. */
export function displayText(record, collection) {
  if (!record) return "";
  const fields = collection?.fields || [];
  const preferred = fields.filter((f) => f.presentable && !f.hidden).map((f) => f.name);
  const fallback = ["name", "title", "email", "username", "label"];
  for (const name of [...preferred, ...fallback]) {
    const value = record[name];
    if (value !== undefined && value !== null && value !== "") return `${valueText(value)} (${record.id})`;
  }
  return record.id;
}

/** A short text of any field value (arrays joined, objects as JSON). */
export function valueText(value) {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map(valueText).join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
