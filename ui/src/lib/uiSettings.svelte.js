// The application settings that change how the dashboard itself looks, read once after login
// and updated when the Application settings page saves them: `meta.hideControls` hides the
// collection create/edit/delete entry points (PocketBase's "hide collection create and edit
// controls", meant for production instances whose schema comes from migrations). Until they
// are read, `loaded` is false and the shell shows its loading notice, so those controls never
// flash up on an instance that hides them.
import { pb } from "./pb.js";

export const uiSettings = $state({ loaded: false, hideControls: false });

export async function loadUiSettings() {
  try {
    const settings = await pb.settings.getAll();
    uiSettings.hideControls = !!settings.meta?.hideControls;
  } catch {
    // Without the settings the controls stay visible, as on a fresh instance.
  } finally {
    uiSettings.loaded = true;
  }
}
