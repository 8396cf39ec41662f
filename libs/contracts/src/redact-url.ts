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

/** `scheme://user:password@host` anywhere in a text -> `scheme://user:***@host`. */
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]*@/gi;
/** `...;SharedAccessKey=abc;...` in Azure-style connection strings, `password=x` in DSNs. */
const INLINE_SECRET = /((?:^|[;&?\s])[\w.-]*(?:password|pwd|secret|token|key)[\w.-]*=)[^;&\s]*/gi;

/**
 * Any text with the credentials it carries replaced by `***`: passwords of
 * URLs inside it and `password=`/`SharedAccessKey=`-style pairs of connection
 * strings. The rest stays as written.
 */
export function redactCredentials(text: string): string {
  return text.replace(URL_CREDENTIALS, '$1:***@').replace(INLINE_SECRET, '$1***');
}
