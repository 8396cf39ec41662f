/**
 * How big one device profile may be. EdgeX sets no limit; real profiles have
 * tens to a few thousand resources, and a profile of 50,000 (3.8 MB of YAML,
 * within GW_MAX_BODY) takes over a second and a half to parse, during which the
 * service answers nothing. So the counts are checked before the costly
 * work: on a JSON body before it is validated, on YAML text by a line scan
 * before it is parsed (milliseconds for megabytes), and on the parsed profile
 * for what the scan cannot see (flow-style lists). A refusal is a 413 naming
 * the limit and its variable.
 */
import { ErrorKind, GatewayError } from '@gw/contracts';

export interface ProfileLimits {
  /** Most deviceResources in one profile (GW_METADATA_MAX_PROFILE_RESOURCES). */
  maxResources: number;
  /** Most deviceCommands in one profile (GW_METADATA_MAX_PROFILE_COMMANDS). */
  maxCommands: number;
}

export const DEFAULT_PROFILE_LIMITS: ProfileLimits = { maxResources: 5_000, maxCommands: 5_000 };

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

/** The same for YAML text, before it is parsed: lists written in block style (`- name: ...`) are counted by their lines. */
export function checkYamlProfileSize(text: string, limits: ProfileLimits, source: string): void {
  for (const list of LISTS) {
    const count = countBlockSequence(text, list.key);
    if (count !== undefined) refuseOver(count, list, limits, source);
  }
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
