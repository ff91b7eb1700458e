// Hash routing (#/...): the server serves one index.html, and PocketBase's e-mail links
// (#/auth/confirm-password-reset/{token}, #/pbinstall/{token}) keep working.
export const route = $state({ path: "/", parts: [] });

function read() {
  const path = decodeURI(location.hash.replace(/^#/, "")) || "/";
  route.path = path;
  route.parts = path.split("?")[0].split("/").filter(Boolean);
}

window.addEventListener("hashchange", read);
read();

/** Navigates to `path` (e.g. "/collections/posts"). */
export function go(path) {
  location.hash = "#" + path;
}
