// CSV export of a collection's records: every record the current filter matches (all pages,
// in the current sort), every field but passwords and token keys, a header row of field names.
import { pb } from "../pb.js";
import { toCsv, csvValue } from "./csv.js";

/** The fields an export writes (and an import can fill), in the collection's order. */
export function exportFields(collection) {
  return (collection.fields || []).filter((f) => f.type !== "password" && f.name !== "tokenKey");
}

/** Fetches the records, offers `<name>.csv` as a download and returns how many were written. */
export async function exportRecords(collection, { filter = "", sort = "" } = {}) {
  const options = { batch: 500 };
  if (filter) options.filter = filter;
  if (sort) options.sort = sort;
  const records = await pb.collection(collection.id).getFullList(options);
  const fields = exportFields(collection);
  const rows = [fields.map((f) => f.name)];
  for (const record of records) rows.push(fields.map((f) => csvValue(f, record[f.name])));
  const blob = new Blob([toCsv(rows)], { type: "text/csv;charset=utf-8" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `${collection.name}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  return records.length;
}
