import { DeviceProfile, ErrorKind, FieldIssue, GatewayError, parseDeviceProfile, ValidationError } from '@gw/contracts';
import { checkProfileSize, ProfileLimits } from './profile-limits';

/**
 * A profile's YAML text parsed and validated, its sizes checked once parsed
 * and before validation (the line scan, checkYamlProfileSize, ran before).
 * The same work in the request's thread and in the parser's worker thread.
 */
export function parseProfileText(text: string, source: string, limits: ProfileLimits): ParsedProfile {
  const ignored: string[] = [];
  const profile = parseDeviceProfile(text, {
    source,
    beforeValidation: (value) => checkProfileSize(value, limits, source),
    onIgnored: (paths) => ignored.push(...paths),
  });
  return { profile, ignored };
}

/**
 * A profile read from a file, and the keys in it no EdgeX profile has: EdgeX
 * ignores them, so do we, but the uploader hears of them (a likely typo).
 */
export interface ParsedProfile {
  profile: DeviceProfile;
  ignored: string[];
}

/** The 2xx message for an upload that had ignored keys, or undefined without them. */
export function ignoredKeysMessage(ignored: readonly string[]): string | undefined {
  if (ignored.length === 0) return undefined;
  const shown = ignored.slice(0, 20).join(', ');
  return `ignored unknown field(s), as EdgeX does (a typo?): ${shown}${ignored.length > 20 ? ` and ${ignored.length - 20} more` : ''}`;
}

/** An error as it crosses between threads (structured clone keeps neither class nor kind). */
export interface SentError {
  message: string;
  /** Absent for an error that is not ours (answered as an internal error, its message not shown). */
  kind?: ErrorKind;
  issues?: FieldIssue[];
  source?: string;
}

export function sendableError(err: unknown): SentError {
  if (err instanceof ValidationError) return { message: err.message, kind: err.kind, issues: err.issues, source: err.source };
  if (err instanceof GatewayError) return { message: err.message, kind: err.kind };
  return { message: err instanceof Error ? err.message : String(err) };
}

export function receivedError(sent: SentError): Error {
  if (sent.issues) return new ValidationError(sent.issues, sent.source);
  if (sent.kind) return new GatewayError(sent.kind, sent.message);
  return new Error(sent.message);
}
