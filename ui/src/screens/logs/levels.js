// PocketBase's log levels (slog's numbers) and their names.
export const LEVELS = [
  { value: -4, name: "DEBUG" },
  { value: 0, name: "INFO" },
  { value: 4, name: "WARN" },
  { value: 8, name: "ERROR" },
];

/** The name of a level number; unknown numbers print as themselves. */
export function levelName(level) {
  return LEVELS.find((item) => item.value === level)?.name || String(level);
}
