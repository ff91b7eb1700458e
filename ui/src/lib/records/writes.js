// Many record writes at once (bulk edit, bulk delete, CSV import): through the batch API when the server's
// settings enable it (in chunks of its maxRequests, each chunk one transaction), otherwise one
// request per record. A chunk that fails is retried record by record, so every record that
// can be written is, and each failure is reported with its index.
import { pb, errorMessage, fieldErrors } from "../pb.js";

async function batchLimit() {
  try {
    const settings = await pb.settings.getAll({ fields: "batch" });
    return settings.batch?.enabled ? Math.max(1, settings.batch.maxRequests || 50) : 0;
  } catch {
    return 0;
  }
}

function describe(error) {
  const fields = Object.entries(fieldErrors(error)).map(([name, text]) => `${name}: ${text}`);
  return fields.length ? fields.join("; ") : errorMessage(error);
}

/**
 * Runs `writes` (each `{ kind: "create" | "update" | "delete", id?, body? }`) against `collection`.
 * Returns `{ done, failures: [{ index, message }] }`.
 */
export async function runWrites(collection, writes) {
  const failures = [];
  let done = 0;
  const one = async (write, index) => {
    try {
      const records = pb.collection(collection.id);
      if (write.kind === "create") await records.create(write.body);
      else if (write.kind === "delete") await records.delete(write.id);
      else await records.update(write.id, write.body);
      done += 1;
    } catch (error) {
      failures.push({ index, message: describe(error) });
    }
  };
  const limit = await batchLimit();
  if (!limit) {
    for (const [index, write] of writes.entries()) await one(write, index);
    return { done, failures };
  }
  for (let start = 0; start < writes.length; start += limit) {
    const chunk = writes.slice(start, start + limit);
    const batch = pb.createBatch();
    for (const write of chunk) {
      const records = batch.collection(collection.id);
      if (write.kind === "create") records.create(write.body);
      else if (write.kind === "delete") records.delete(write.id);
      else records.update(write.id, write.body);
    }
    try {
      await batch.send();
      done += chunk.length;
    } catch {
      for (const [offset, write] of chunk.entries()) await one(write, start + offset);
    }
  }
  return { done, failures };
}
