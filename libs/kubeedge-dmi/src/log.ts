/** The logger the mapper needs (pino's `(obj, msg)` call order). */
type LogFn = (obj: Record<string, unknown>, msg: string) => void;

export interface MapperLogger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}
