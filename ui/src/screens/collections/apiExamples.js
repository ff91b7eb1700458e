// Example values and request descriptions for the API preview, generated from a collection's
// fields so the preview always matches the schema.

/** A plausible value of one field, as the records API returns it. */
export function exampleValue(field) {
  switch (field.type) {
    case "text":
      return field.name === "id" ? "RECORD_ID" : "test";
    case "editor":
      return "<p>test</p>";
    case "number":
      return 123;
    case "bool":
      return true;
    case "email":
      return "test@example.com";
    case "url":
      return "https://example.com";
    case "date":
    case "autodate":
      return "2022-01-01 10:00:00.123Z";
    case "select":
      return (field.maxSelect || 1) > 1 ? [field.values?.[0] || "optionA"] : field.values?.[0] || "optionA";
    case "file":
      return (field.maxSelect || 1) > 1 ? ["filename.jpg"] : "filename.jpg";
    case "relation":
      return (field.maxSelect || 1) > 1 ? ["RELATION_RECORD_ID"] : "RELATION_RECORD_ID";
    case "json":
      return "JSON";
    case "geoPoint":
      return { lon: 0, lat: 0 };
    default:
      return "";
  }
}

/** A record of `collection` as list/view return it (hidden fields and passwords left out). */
export function exampleRecord(collection) {
  const out = { collectionId: collection.id, collectionName: collection.name };
  for (const field of collection.fields || []) {
    if (field.hidden || field.type === "password") continue;
    out[field.name] = exampleValue(field);
  }
  return out;
}

/** The fields a create or update body may hold, with a readable type. */
export function bodyParams(collection, { create }) {
  const out = [];
  for (const field of collection.fields || []) {
    if (field.type === "autodate" || field.name === "tokenKey") continue;
    if (field.name === "id" && !create) continue;
    let type = field.type === "relation" || field.type === "select" || field.type === "file" ? `${field.type}${(field.maxSelect || 1) > 1 ? " (array)" : ""}` : field.type;
    if (field.type === "file") type += " — send as multipart/form-data";
    out.push({ name: field.name, type, required: create && !!field.required && field.name !== "id" });
    if (field.type === "password") out.push({ name: "passwordConfirm", type: "text", required: create && !!field.required });
  }
  return out;
}
