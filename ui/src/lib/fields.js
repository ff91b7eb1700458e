// Field types and how the record editor converts values between the API and form inputs.

export const FIELD_TYPES = [
  "text",
  "editor",
  "number",
  "bool",
  "email",
  "url",
  "date",
  "autodate",
  "select",
  "json",
  "file",
  "relation",
  "password",
  "geoPoint",
];

export const RULES = ["listRule", "viewRule", "createRule", "updateRule", "deleteRule"];

/** Fields a records table shows as columns. */
export function columnFields(collection) {
  return (collection?.fields || []).filter(
    (f) => !f.hidden && f.type !== "password" && f.name !== "tokenKey",
  );
}

/** "2024-01-02 03:04:05.000Z" -> "2024-01-02T03:04:05" for a datetime-local input (UTC). */
export function toLocalInput(value) {
  if (!value) return "";
  return value.replace(" ", "T").replace(/(\.\d+)?Z$/, "").slice(0, 19);
}

/** The datetime-local input's value (read as UTC) -> PocketBase's datetime text. */
export function fromLocalInput(value) {
  if (!value) return "";
  const date = new Date(value + "Z");
  if (Number.isNaN(date.getTime())) return value;
  return date.toISOString().replace("T", " ");
}

/** A short text for a value in a table cell. */
export function cellText(value) {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
