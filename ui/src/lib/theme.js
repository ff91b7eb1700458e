// Light, dark or the system's theme, kept in localStorage and applied as data-theme on <html>.
const KEY = "pb_theme";

export function currentTheme() {
  return localStorage.getItem(KEY) || "system";
}

export function applyTheme(theme = currentTheme()) {
  localStorage.setItem(KEY, theme);
  const dark =
    theme === "dark" || (theme === "system" && matchMedia("(prefers-color-scheme: dark)").matches);
  document.documentElement.dataset.theme = dark ? "dark" : "light";
}
