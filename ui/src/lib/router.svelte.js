// Hash routing (#/...): the server serves one index.html, and PocketBase's e-mail links
// (#/auth/confirm-password-reset/{token}, #/pbinstall/{token}) keep working.
export const route = $state({ path: "/", parts: [] });

function pathOf(hash) {
  return decodeURI(hash.replace(/^#/, "")) || "/";
}

function partsOf(path) {
  return path.split("?")[0].split("/").filter(Boolean);
}

function read() {
  const path = pathOf(location.hash);
  route.path = path;
  route.parts = partsOf(path);
}

/**
 * The parts of the address as it is now. `route` follows the address on `hashchange`, which
 * fires after the address changed: code about to redirect checks this, so that it does not
 * override a navigation whose event has not been handled yet.
 */
export function currentParts() {
  return partsOf(pathOf(location.hash));
}

window.addEventListener("hashchange", read);
read();

/** Navigates to `path` (e.g. "/collections/posts"). */
export function go(path) {
  location.hash = "#" + path;
}
