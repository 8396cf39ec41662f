/**
 * The URL with its password replaced by `***`, safe for logs and error
 * messages. Text that does not parse as a URL (a mistyped setting, which is
 * exactly what an error message shows) is kept readable too, with everything
 * from the password to the last `@` hidden.
 */
export function redactUrl(text: string): string {
  if (!URL.canParse(text)) return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):.*@/is, '$1:***@');
  const url = new URL(text);
  if (!url.password) return text;
  url.password = '***';
  return url.toString();
}
