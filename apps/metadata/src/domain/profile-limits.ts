/**
 * How big one device profile may be. EdgeX sets no limit; real profiles have
 * tens to a few thousand resources, and a profile of 50,000 (3.8 MB of YAML,
 * within GW_MAX_BODY) takes over a second and a half to parse (3 s in flow
 * style), during which the service answers nothing. So the counts are checked
 * before the costly work: on a JSON body (or an uploaded file that is JSON)
 * before it is validated, on YAML text by a line scan before it is parsed
 * (milliseconds for megabytes). A list the scan cannot count (flow style
 * `[...]`, an alias) is left to the parser only in a text of at most
 * UNCOUNTED_YAML_MAX_BYTES, and counted once parsed. A refusal is a 413
 * naming the limit and its variable.
 */
import { ErrorKind, GatewayError } from '@gw/contracts';

export interface ProfileLimits {
  /** Most deviceResources in one profile (GW_METADATA_MAX_PROFILE_RESOURCES). */
  maxResources: number;
  /** Most deviceCommands in one profile (GW_METADATA_MAX_PROFILE_COMMANDS). */
  maxCommands: number;
}

export const DEFAULT_PROFILE_LIMITS: ProfileLimits = { maxResources: 5_000, maxCommands: 5_000 };

/**
 * The largest YAML text parsed while one of its lists could not be counted
 * before parsing (about 0.2 s of parsing). A valid profile of 5,000 resources
 * in flow style is larger; written in block style (`- name: ...`), or sent
 * as JSON, it is counted whatever its size.
 */
export const UNCOUNTED_YAML_MAX_BYTES = 256 * 1024;

const LISTS = [
  { key: 'deviceResources', limit: 'maxResources', variable: 'GW_METADATA_MAX_PROFILE_RESOURCES' },
  { key: 'deviceCommands', limit: 'maxCommands', variable: 'GW_METADATA_MAX_PROFILE_COMMANDS' },
] as const;

/** Refuses a profile (a request body, parsed or not yet validated) with more items than the limits. */
export function checkProfileSize(profile: unknown, limits: ProfileLimits, where: string): void {
  if (typeof profile !== 'object' || profile === null) return;
  for (const list of LISTS) {
    const items = (profile as Record<string, unknown>)[list.key];
    if (Array.isArray(items)) refuseOver(items.length, list, limits, where);
  }
}

/**
 * The same for YAML text, before it is parsed: lists written in block style
 * (`- name: ...`) are counted by their lines. When a list may be there but
 * cannot be counted so, a text above UNCOUNTED_YAML_MAX_BYTES is refused
 * unparsed; a smaller one is counted once parsed (checkProfileSize).
 */
export function checkYamlProfileSize(text: string, limits: ProfileLimits, source: string): void {
  const uncounted: string[] = [];
  for (const list of LISTS) {
    const count = countBlockSequence(text, list.key);
    if (count !== undefined) refuseOver(count, list, limits, source);
    else if (mayContain(text, list.key)) uncounted.push(list.key);
  }
  const bytes = uncounted.length ? Buffer.byteLength(text) : 0;
  if (bytes > UNCOUNTED_YAML_MAX_BYTES) {
    throw new GatewayError(
      ErrorKind.PayloadTooLarge,
      `${source}: ${uncounted.join(' and ')} not written as a block list (one "- " item per line) cannot be counted before parsing, ` +
        `so the file may be at most ${UNCOUNTED_YAML_MAX_BYTES} bytes, not ${bytes}: write ${uncounted.length > 1 ? 'them' : 'it'} as a block list, or send the profile as JSON`,
    );
  }
}

/** Whether `key` may be in the text: spelled out, or behind an escape in a quoted key. */
function mayContain(text: string, key: string): boolean {
  return text.includes(key) || text.includes('\\');
}

function refuseOver(count: number, list: (typeof LISTS)[number], limits: ProfileLimits, where: string): void {
  const max = limits[list.limit];
  if (count <= max) return;
  throw new GatewayError(
    ErrorKind.PayloadTooLarge,
    `${where}: ${count} ${list.key}, more than the ${max} a profile may have (${list.variable})`,
  );
}

const ITEM = /^-(?:[ \t]|$)/;
const BLANK_OR_COMMENT = /^[ \t]*(?:#.*)?$/;

/**
 * Items of the top-level block sequence `key:` (its `-` lines at the
 * sequence's indentation), or undefined when there is no such key or its value
 * is not a block sequence (flow style, an anchor or alias, a quoted key). A
 * line at that indentation starting with `- ` is an item for the YAML parser
 * too, even inside an unclosed quote, so a valid document is counted exactly.
 */
export function countBlockSequence(text: string, key: string): number | undefined {
  const header = new RegExp(`^${key}[ \\t]*:[ \\t]*(?:#.*)?\\r?$`, 'm').exec(text);
  if (!header) return undefined;
  let indent = -1;
  let count = 0;
  let at = text.indexOf('\n', header.index);
  while (at !== -1 && at < text.length) {
    const end = text.indexOf('\n', at + 1);
    const line = text.slice(at + 1, end === -1 ? text.length : end).replace(/\r$/, '');
    at = end;
    if (BLANK_OR_COMMENT.test(line)) continue;
    const lineIndent = line.search(/\S/);
    const rest = line.slice(lineIndent);
    if (indent === -1) {
      if (!ITEM.test(rest)) return undefined;
      indent = lineIndent;
    }
    if (lineIndent < indent) break;
    if (lineIndent === indent) {
      if (!ITEM.test(rest)) break;
      count++;
    }
  }
  return indent === -1 ? undefined : count;
}
