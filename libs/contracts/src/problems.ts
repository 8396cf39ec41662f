/**
 * A validation problem before it is placed: its path is kept as segments so a
 * YAML locator can walk it to a line, and only once the caller's path prefix
 * and locator are known does it become a FieldIssue. Turns zod's issues into
 * messages an operator can act on.
 */
import { ZodError, ZodInvalidTypeIssue, ZodInvalidUnionIssue, ZodIssue } from 'zod';
import { FieldIssue } from './errors';

export type PathSegment = string | number;

export interface Problem {
  path: PathSegment[];
  message: string;
}

export interface Position {
  line: number;
  column: number;
}

/** Maps a path in the parsed value to where it was written; undefined when unknown. */
export type Locator = (path: PathSegment[]) => Position | undefined;

export interface Placement {
  /** Prefix naming the value as the client sent it, e.g. `profile` or `[3].device`. */
  path?: string;
  locate?: Locator;
}

export function zodProblems(error: ZodError): Problem[] {
  return error.issues.flatMap(fromIssue);
}

export function toFieldIssues(problems: Problem[], where: Placement = {}): FieldIssue[] {
  const issues = problems.map((p) => ({
    path: formatPath(where.path, p.path),
    message: p.message,
    ...where.locate?.(p.path),
  }));
  // In file order, so an operator can walk the file top to bottom.
  return issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/u;

/** `deviceResources[2].properties.valueType`; odd keys are quoted: `mappings["0"]`. */
export function formatPath(prefix: string | undefined, path: PathSegment[]): string {
  let out = prefix ?? '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function fromIssue(issue: ZodIssue): Problem[] {
  switch (issue.code) {
    case 'unrecognized_keys':
      // One problem per key, pointing at the key itself (so at its line).
      return issue.keys.map((key) => ({ path: [...issue.path, key], message: 'unknown field' }));
    case 'invalid_union':
      return fromUnion(issue);
    case 'invalid_type': // zod's own message unless the schema gave one, e.g. a duration hint
      return [{ path: issue.path, message: issue.received === 'undefined' ? 'is required' : issue.message }];
    case 'invalid_enum_value':
      return [{ path: issue.path, message: `"${String(issue.received)}" is not one of ${issue.options.join(', ')}` }];
    default:
      return [{ path: issue.path, message: issue.message }];
  }
}

/**
 * zod reports a failed union as one issue holding every branch's issues. A
 * branch that got past the type test (an object of the right kind with a bad
 * field) says what is wrong; if none did, the value just has the wrong type.
 */
function fromUnion(issue: ZodInvalidUnionIssue): Problem[] {
  const branches = issue.unionErrors.map((e) => e.issues);
  const isTypeMismatch = (issues: ZodIssue[]) =>
    issues.length === 1 && issues[0].code === 'invalid_type' && issues[0].path.length === issue.path.length;
  const closest = branches.filter((b) => !isTypeMismatch(b)).sort((a, b) => a.length - b.length)[0];
  if (closest) return closest.flatMap(fromIssue);
  const mismatches = branches.map((b) => b[0] as ZodInvalidTypeIssue);
  const expected = [...new Set(mismatches.map((m) => m.expected))].join(' or ');
  const { received } = mismatches[0];
  return [{ path: issue.path, message: received === 'undefined' ? 'is required' : `Expected ${expected}, received ${received}` }];
}
