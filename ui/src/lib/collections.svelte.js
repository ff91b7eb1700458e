// The collections the sidebar and editors share, loaded once and reloaded after schema changes.
import { pb } from "./pb.js";

export const collections = $state({ list: [], loaded: false, error: "" });

export async function loadCollections() {
  try {
    const list = await pb.collections.getFullList({ batch: 200 });
    list.sort((a, b) => a.name.localeCompare(b.name));
    collections.list = list;
    collections.error = "";
  } catch (error) {
    collections.error = error?.message || String(error);
  } finally {
    collections.loaded = true;
  }
}

export function findCollection(idOrName) {
  return collections.list.find((c) => c.id === idOrName || c.name === idOrName);
}
