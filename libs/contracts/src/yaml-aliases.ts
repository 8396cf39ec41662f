/**
 * How much YAML aliases may cost. An alias repeats its anchored node, so a
 * small text can stand for a huge value: nested aliases ("billion laughs"),
 * or one long list aliased many times (2 MB of YAML that became 207 MB of
 * JSON and took 53 s to read and validate). yaml's own maxAliasCount catches
 * the first, not the second. So before the value is built, the nodes it would
 * have are counted from the parsed document, each anchored node once (cheap
 * whatever the expansion): aliases may add at most as many nodes as the text
 * itself has, or ALIAS_NODE_ALLOWANCE if that is more, so a small file can
 * share freely and a large one at most doubles. An alias to a node that
 * contains it (a circular value) is refused too.
 *
 * yaml (2.9) also finds each alias's anchor by a scan of every anchor and
 * alias before it: 50,000 aliases in 316 KB took 28 s. Hence at most
 * MAX_ANCHORS_AND_ALIASES in a document that has an alias. (yaml already
 * refuses more than about 100 aliases of one anchor.)
 */
import { Alias, Document, isAlias, isMap, isNode, isPair, isSeq, visit } from 'yaml';

/** Nodes aliases may always add (about 0.1 s of validation). */
export const ALIAS_NODE_ALLOWANCE = 100_000;

/** Anchors and aliases a document with aliases may have (resolving them all then takes milliseconds). */
export const MAX_ANCHORS_AND_ALIASES = 1_000;

export interface AliasProblem {
  /** Offset in the text of the anchor or alias refused. */
  offset: number;
  message: string;
}

export function aliasProblem(doc: Document.Parsed, text: string): AliasProblem | undefined {
  if (!text.includes('*')) return undefined; // no alias
  let written = 0;
  let aliases = 0;
  let marks = 0;
  let overMarks: number | undefined;
  visit(doc, {
    Node(_key, node) {
      written++;
      if (isAlias(node)) aliases++;
      if (isAlias(node) || node.anchor) {
        marks++;
        if (marks === MAX_ANCHORS_AND_ALIASES + 1) overMarks = node.range?.[0] ?? 0;
      }
    },
  });
  if (aliases === 0) return undefined;
  if (overMarks !== undefined) {
    return {
      offset: overMarks,
      message: `${marks} anchors (&) and aliases (*), more than the ${MAX_ANCHORS_AND_ALIASES} a document with aliases may have: write the repeated parts out`,
    };
  }
  return new Expansion(written + Math.max(written, ALIAS_NODE_ALLOWANCE), written).walk(doc.contents);
}

/** Anchored node being walked: an alias to it would be circular. */
const OPEN = -1;

class Expansion {
  /** Expanded size of each anchor's latest node, as aliases see it at this point of the text. */
  private readonly anchors = new Map<string, number>();
  /** Nodes of the value so far: the written ones, plus what each alias walked past stands for. */
  private total = 0;

  constructor(
    private readonly bound: number,
    private readonly written: number,
  ) {}

  walk(root: unknown): AliasProblem | undefined {
    try {
      this.size(root);
      return undefined;
    } catch (err) {
      if (err instanceof Refusal) return err.problem;
      throw err;
    }
  }

  /** Nodes `node` stands for, each added to `total` as it is reached (in document order, as yaml resolves aliases). */
  private size(node: unknown): number {
    if (isAlias(node)) return this.expand(node);
    if (!isNode(node)) return 0;
    const anchor = node.anchor;
    if (anchor) this.anchors.set(anchor, OPEN);
    this.total++;
    let size = 1;
    if (isMap(node) || isSeq(node)) {
      for (const item of node.items as unknown[]) {
        size += isPair(item) ? this.size(item.key) + this.size(item.value) : this.size(item);
      }
    }
    if (anchor) this.anchors.set(anchor, size);
    return size;
  }

  private expand(alias: Alias): number {
    const size = this.anchors.get(alias.source);
    const offset = alias.range?.[0] ?? 0;
    if (size === OPEN) throw new Refusal({ offset, message: `alias *${alias.source} refers to a node that contains it (a circular value)` });
    if (size === undefined) return 0; // yaml reports the unresolved alias when the value is built
    this.total += size;
    if (this.total > this.bound) {
      throw new Refusal({
        offset,
        message:
          `alias *${alias.source} expands the document past ${this.bound} nodes: ` +
          `aliases may add at most as many nodes as the text has (${this.written}), or ${ALIAS_NODE_ALLOWANCE}`,
      });
    }
    return size;
  }
}

class Refusal extends Error {
  constructor(readonly problem: AliasProblem) {
    super(problem.message);
  }
}
