/**
 * Reads YAML, and JSON (which is YAML too), keeping node positions, so that a
 * problem found later in the parsed value can be traced back to its line.
 * Syntax errors (bad indentation, tabs, unclosed quotes, duplicate keys) are
 * thrown at once as a ValidationError: nothing after them can be trusted, and
 * so are aliases that would expand the value far beyond the text (see
 * yaml-aliases.ts), before the value is built.
 */
import { Document, isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, visit, YAMLError } from 'yaml';
import { FieldIssue, ValidationError } from './errors';
import { aliasProblem } from './yaml-aliases';
import { Locator, PathSegment, Position } from './problems';

export interface YamlText {
  value: unknown;
  locate: Locator;
}

export function readYaml(text: string, source?: string): YamlText {
  const lines = new LineCounter();
  // prettyErrors off: yaml would append a code excerpt; we place errors ourselves.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const position = (offset: number): Position => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length > 0) throw new ValidationError(syntaxIssues(doc, text, position), source);
  const aliases = aliasProblem(doc, text);
  if (aliases) throw new ValidationError([{ path: '', message: aliases.message, ...position(aliases.offset) }], source);
  return {
    value: toValue(doc, source),
    locate: (path) => {
      const offset = offsetOf(doc, path);
      return offset === undefined ? undefined : position(offset);
    },
  };
}

/** One issue per line: yaml often reports one mistake twice over. */
function syntaxIssues(doc: Document.Parsed, text: string, position: (offset: number) => Position): FieldIssue[] {
  const multiline = new Set(doc.errors.filter((e) => e.code === 'MULTILINE_IMPLICIT_KEY').map((e) => e.pos[0]));
  const byLine = new Map<number, FieldIssue>();
  for (const error of doc.errors) {
    // Same cause as the multi-line key reported at that offset.
    if (error.code === 'BLOCK_AS_IMPLICIT_KEY' && multiline.has(error.pos[0])) continue;
    const at = position(placeOf(error, doc, text));
    const hint = error.code === 'MULTILINE_IMPLICIT_KEY' ? " (check this line's indentation)" : '';
    if (!byLine.has(at.line)) byLine.set(at.line, { path: '', message: `invalid YAML: ${error.message}${hint}`, ...at });
  }
  return [...byLine.values()];
}

/** Where an operator should look, which is not always where yaml noticed. */
function placeOf(error: YAMLError, doc: Document.Parsed, text: string): number {
  switch (error.code) {
    case 'MULTILINE_IMPLICIT_KEY':
      // A key (or a plain value) ran on into the next line: that line is the mis-indented one.
      return error.pos[1] - 1;
    case 'MISSING_CHAR':
      // An unclosed quote is noticed where the text ends: point at where it opened.
      return quotedScalarAround(doc, error.pos[0]) ?? skipBlanks(text, error.pos[0]);
    default:
      // yaml points at the indentation before a misplaced key; the key is more useful.
      return skipBlanks(text, error.pos[0]);
  }
}

function quotedScalarAround(doc: Document.Parsed, offset: number): number | undefined {
  let start: number | undefined;
  visit(doc, {
    Scalar(_key, node) {
      const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
      if (quoted && node.range && node.range[0] <= offset && offset <= node.range[2]) start = node.range[0];
    },
  });
  return start;
}

function skipBlanks(text: string, offset: number): number {
  while (text[offset] === ' ' || text[offset] === '\t') offset++;
  return offset;
}

function toValue(doc: Document.Parsed, source?: string): unknown {
  try {
    return doc.toJS();
  } catch (err) {
    // e.g. an alias bomb: yaml refuses to expand an excessive number of aliases.
    const message = err instanceof Error ? err.message : String(err);
    throw new ValidationError([{ path: '', message: `invalid YAML: ${message}` }], source);
  }
}

/**
 * Walks the path down the node tree. A map entry is placed at its key (the
 * line an operator looks for); where the path leaves the document (a missing
 * field) the deepest node that exists is used.
 */
function offsetOf(doc: Document.Parsed, path: PathSegment[]): number | undefined {
  let node: unknown = doc.contents;
  let offset = startOf(node);
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      offset = startOf(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
      node = node.items[segment];
      offset = startOf(node) ?? offset;
    } else {
      break;
    }
  }
  return offset;
}

function startOf(node: unknown): number | undefined {
  return isNode(node) ? node.range?.[0] : undefined;
}
