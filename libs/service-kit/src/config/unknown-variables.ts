/**
 * Typos in variable names (GW_METADATA_PROT) are otherwise silently ignored:
 * the setting keeps its default and nothing says why. docker compose passes one
 * environment block to every service, so a variable this process does not
 * read is usually someone else's (GW_CORE_DATA_BATCH_SIZE in core-metadata's
 * environment, GW_POSTGRES_PASSWORD, a test's GW_TEST_*): warning about every
 * unknown GW_* name would be noise. The rule: a GW_* variable is reported
 * when this process does not read it, it is within two edits of a name this
 * process reads, and no other part of the deployment reads it.
 */

/** Variables of the deployment that no service's schema lists: compose's, the simulators', tests' and benches'. */
export const OUTSIDE_PREFIXES = ['GW_POSTGRES_', 'GW_MODBUS_SIM_', 'GW_OPCUA_SIM_', 'GW_TEST_', 'GW_BENCH'] as const;

/** A name is a likely typo of a known one at most this many edits away (insert, delete, replace, swap). */
export const MAX_TYPO_DISTANCE = 2;

export interface UnknownVariable {
  /** The variable set in the environment. */
  name: string;
  /** The known name it most likely meant. */
  suggestion: string;
}

export interface UnknownVariableOptions {
  /** Names other processes of the deployment read (never reported). */
  elsewhere?: Iterable<string>;
  /** Prefixes of names read outside the services (never reported); default OUTSIDE_PREFIXES. */
  outsidePrefixes?: readonly string[];
}

/**
 * The set GW_* variables that look like a mistyped name of `known` (what this
 * process reads, `_FILE` forms included), each with the nearest known name;
 * sorted by name. Pure: no logging, no process.env.
 */
export function unknownVariables(
  env: Record<string, string | undefined>,
  known: Iterable<string>,
  options: UnknownVariableOptions = {},
): UnknownVariable[] {
  const knownNames = [...new Set(known)];
  const knownSet = new Set(knownNames);
  const elsewhere = new Set(options.elsewhere ?? []);
  const outside = options.outsidePrefixes ?? OUTSIDE_PREFIXES;
  const found: UnknownVariable[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('GW_') || env[name] === undefined) continue;
    if (knownSet.has(name) || elsewhere.has(name) || outside.some((prefix) => name.startsWith(prefix))) continue;
    const suggestion = nearest(name, knownNames);
    if (suggestion) found.push({ name, suggestion });
  }
  return found;
}

/** The known name fewest edits away, when within MAX_TYPO_DISTANCE (the first listed wins a tie). */
function nearest(name: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = MAX_TYPO_DISTANCE + 1;
  for (const candidate of known) {
    if (Math.abs(candidate.length - name.length) >= bestDistance) continue;
    const d = editDistance(name, candidate, bestDistance);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/**
 * Optimal string alignment distance (Levenshtein plus swapping two neighbours,
 * the commonest typo: PROT for PORT), or `limit` once it is known to reach it.
 */
export function editDistance(a: string, b: string, limit = Infinity): number {
  let previous2: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, previous2[j - 2] + 1);
      row.push(d);
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin >= limit) return limit;
    [previous2, previous] = [previous, row];
  }
  return Math.min(previous[b.length], limit);
}

/** The boot warning for one unknown variable. */
export function unknownVariableMessage(variable: UnknownVariable, serviceName: string): string {
  return `${variable.name} is not a setting of ${serviceName}; did you mean ${variable.suggestion}?`;
}
