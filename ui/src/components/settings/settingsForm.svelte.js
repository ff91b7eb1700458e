// One settings page's state: the settings document loaded from GET /api/settings, a save that
// PATCHes only the sections the page owns, and PocketBase's nested field errors
// ({"smtp": {"host": {"code", "message"}}}) kept so inputs can show them beside themselves.
import { pb, errorMessage } from "../../lib/pb.js";

/** The message of the field error at a dotted `path` ("smtp.host") of an error `data` object. */
export function errorAt(errors, path) {
  let node = errors;
  for (const key of path.split(".")) {
    if (!node || typeof node !== "object") return "";
    node = node[key];
  }
  return node && typeof node === "object" && typeof node.message === "string" ? node.message : "";
}

/**
 * A form over the settings `sections` (e.g. ["meta"]). `form.data` holds a deep copy of the
 * loaded settings to bind inputs to; `form.save()` sends those sections and reloads them.
 */
export function settingsForm(sections) {
  const form = $state({
    data: null,
    // The settings as last loaded or saved, to tell whether the inputs changed since.
    pristine: null,
    errors: {},
    message: "",
    saved: false,
    busy: false,
    async load() {
      form.message = "";
      try {
        form.data = await pb.settings.getAll();
        form.pristine = structuredClone($state.snapshot(form.data));
      } catch (error) {
        form.message = errorMessage(error);
      }
    },
    /** Whether the section at `key` differs from the last loaded or saved settings. */
    changed(key) {
      if (!form.data || !form.pristine) return false;
      return JSON.stringify(form.data[key]) !== JSON.stringify(form.pristine[key]);
    },
    async save(extra = {}) {
      form.busy = true;
      form.errors = {};
      form.message = "";
      form.saved = false;
      try {
        const patch = {};
        for (const section of sections) patch[section] = $state.snapshot(form.data[section]);
        form.data = await pb.settings.update({ ...patch, ...extra });
        form.pristine = structuredClone($state.snapshot(form.data));
        form.saved = true;
        return true;
      } catch (error) {
        form.errors = error?.response?.data || {};
        form.message = errorMessage(error);
        return false;
      } finally {
        form.busy = false;
      }
    },
  });
  form.load();
  return form;
}
