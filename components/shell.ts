// Quoting for the POSIX sh scripts the components render.

/** `'…'` for sh: nothing inside is expanded, and a `'` in the value is closed, escaped and reopened. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
