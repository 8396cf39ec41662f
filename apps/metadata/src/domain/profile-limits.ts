/**
 * How big one device profile may be. EdgeX sets no limit; real profiles have
 * tens to a few thousand resources, and a profile of 50,000 (3.8 MB of YAML,
 * within GW_MAX_BODY) takes over a second and a half to parse (3 s in flow
 * style), during which the service answers nothing; 180,000 resourceOperations
 * (3.6 MB) took 5 s. So the counts are checked before the costly work: on a
 * JSON body (or an uploaded file that is JSON) before it is validated, on YAML
 * text by a line scan before it is parsed (milliseconds for megabytes). A
 * deviceResources or deviceCommands list the scan cannot count (flow style
 * `[...]`, an alias) is left to the parser only in a text of at most
 * UNCOUNTED_YAML_MAX_BYTES; resourceOperations the scan cannot count (flow
 * style inside block-style commands, as EdgeX's own samples never are but
 * hand-written files may be) are not bounded so. Whatever the scan missed is
 * counted once parsed, before validation. A refusal is a 413 naming the limit
 * and its variable.
 */
import { ErrorKind, GatewayError } from '@gw/contracts';

export interface ProfileLimits {
  /** Most deviceResources in one profile (GW_METADATA_MAX_PROFILE_RESOURCES). */
  maxResources: number;
  /** Most deviceCommands in one profile (GW_METADATA_MAX_PROFILE_COMMANDS). */
  maxCommands: number;
  /** Most resourceOperations of all its deviceCommands together (GW_METADATA_MAX_PROFILE_OPERATIONS). */
  maxOperations: number;
}

export const DEFAULT_PROFILE_LIMITS: ProfileLimits = { maxResources: 5_000, maxCommands: 5_000, maxOperations: 10_000 };

/**
 * The largest YAML text parsed while one of its lists could not be counted
 * before parsing (about 0.2 s of parsing). A valid profile of 5,000 resources
 * in flow style is larger; written in block style (`- name: ...`), or sent
 * as JSON, it is counted whatever its size.
 */
export const UNCOUNTED_YAML_MAX_BYTES = 256 * 1024;

interface Limit {
  key: string;
  limit: keyof ProfileLimits;
  variable: string;
}

const LISTS = [
  { key: 'deviceResources', limit: 'maxResources', variable: 'GW_METADATA_MAX_PROFILE_RESOURCES' },
  { key: 'deviceCommands', limit: 'maxCommands', variable: 'GW_METADATA_MAX_PROFILE_COMMANDS' },
] as const satisfies Limit[];

const OPERATIONS: Limit = { key: 'resourceOperations', limit: 'maxOperations', variable: 'GW_METADATA_MAX_PROFILE_OPERATIONS' };

/** Refuses a profile (a request body, parsed or not yet validated) with more items than the limits. */
export function checkProfileSize(profile: unknown, limits: ProfileLimits, where: string): void {
  if (typeof profile !== 'object' || profile === null) return;
  for (const list of LISTS) {
    const items = (profile as Record<string, unknown>)[list.key];
    if (Array.isArray(items)) refuseOver(items.length, list, limits, where);
  }
  const commands = (profile as Record<string, unknown>).deviceCommands;
  if (!Array.isArray(commands)) return;
  let operations = 0;
  for (const command of commands as unknown[]) {
    const ops = typeof command === 'object' && command !== null ? (command as Record<string, unknown>).resourceOperations : undefined;
    if (Array.isArray(ops)) operations += ops.length;
  }
  refuseOver(operations, OPERATIONS, limits, where);
}

/**
 * The same for YAML text, before it is parsed: lists written in block style
 * (`- name: ...`) are counted by their lines. When deviceResources or
 * deviceCommands may be there but cannot be counted so, a text above
 * UNCOUNTED_YAML_MAX_BYTES is refused unparsed; a smaller one is counted once
 * parsed (checkProfileSize), as are resourceOperations in flow style.
 */
export function checkYamlProfileSize(text: string, limits: ProfileLimits, source: string): void {
  const uncounted: string[] = [];
  for (const list of LISTS) {
    const count = countBlockSequence(text, list.key);
    if (count !== undefined) refuseOver(count, list, limits, source);
    else if (mayContain(text, list.key)) uncounted.push(list.key);
  }
  refuseOver(countBlockOperations(text), OPERATIONS, limits, source);
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

function refuseOver(count: number, list: Limit, limits: ProfileLimits, where: string): void {
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
  return header ? blockSequence(text, header.index, 0)?.items : undefined;
}

/**
 * The resourceOperations written as block sequences in the top-level
 * deviceCommands block sequence: each `resourceOperations:` key line there
 * and the items of the block sequence under it (at its key's column or
 * deeper). Those in flow style are not counted (0 for them).
 */
export function countBlockOperations(text: string): number {
  const header = /^deviceCommands[ \t]*:[ \t]*(?:#.*)?\r?$/m.exec(text);
  const commands = header && blockSequence(text, header.index, 0);
  if (!commands) return 0;
  const block = text.slice(header.index, commands.end);
  const key = /^([ \t]*(?:-[ \t]+)*)resourceOperations[ \t]*:[ \t]*(?:#.*)?\r?$/gm;
  let count = 0;
  for (let match = key.exec(block); match; match = key.exec(block)) {
    count += blockSequence(block, match.index, match[1].length)?.items ?? 0;
  }
  return count;
}

/**
 * The block sequence that is the value of the key on the line starting at
 * `headerStart`: how many items (its `-` lines at the sequence's
 * indentation, which is at least `minIndent`) and where it ends; undefined
 * when the value is not a block sequence.
 */
function blockSequence(text: string, headerStart: number, minIndent: number): { items: number; end: number } | undefined {
  let indent = -1;
  let items = 0;
  let start = text.indexOf('\n', headerStart) + 1;
  while (start > 0 && start < text.length) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    const line = text.slice(start, end).replace(/\r$/, '');
    if (!BLANK_OR_COMMENT.test(line)) {
      const lineIndent = line.search(/\S/);
      const rest = line.slice(lineIndent);
      if (indent === -1) {
        if (lineIndent < minIndent || !ITEM.test(rest)) return undefined;
        indent = lineIndent;
      }
      if (lineIndent < indent || (lineIndent === indent && !ITEM.test(rest))) return { items, end: start };
      if (lineIndent === indent) items++;
    }
    start = end + 1;
  }
  return indent === -1 ? undefined : { items, end: text.length };
}
