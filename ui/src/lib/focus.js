// Which elements the Tab key can reach inside a container, in document order: the dialog's
// focus trap wraps around these.
const FOCUSABLE = [
  "a[href]",
  "button:not([disabled])",
  "input:not([disabled]):not([type='hidden'])",
  "select:not([disabled])",
  "textarea:not([disabled])",
  "summary",
  "[contenteditable='true']",
  "[tabindex]:not([tabindex='-1'])",
].join(",");

/** The visible, keyboard-reachable elements inside `container`. */
export function focusableIn(container) {
  return [...container.querySelectorAll(FOCUSABLE)].filter(
    (element) => element.tabIndex >= 0 && element.getClientRects().length > 0 && !element.closest("[inert]"),
  );
}
