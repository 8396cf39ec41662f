/**
 * A served OpenAPI document as the contract test checks answers against it:
 * the statuses each operation documents and, for JSON answers, the schema
 * (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses it).
 */
import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

interface Operation {
  operationId: string;
  responses: Record<string, { content?: Record<string, { schema?: object }> }>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, object> };
}

/** Server-side statuses an operation may document as a deliberate answer; never 500. */
const DELIBERATE_5XX = new Set([501, 503, 504]);

export interface Answer {
  status: number;
  contentType: string;
  text: string;
}

export class DocumentedResponses {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly base: string;

  constructor(
    name: string,
    private readonly doc: OpenApiDocument,
  ) {
    addFormats(this.ajv);
    this.base = `${name}.openapi.json`;
    this.ajv.addSchema({ $id: this.base, components: doc.components ?? {} });
  }

  operation(path: string, method: string): Operation {
    return this.doc.paths[path][method];
  }

  /** What is wrong with an answer of this operation, or undefined when the document says it may answer so. */
  problem(path: string, method: string, answer: Answer): string | undefined {
    const response = this.operation(path, method).responses[String(answer.status)];
    // 500 is always our bug; 501, 503 and 504 only where documented (a driver that cannot discover, a peer down or slow).
    if (answer.status >= 500 && (!response || !DELIBERATE_5XX.has(answer.status))) return `answered ${answer.status} (a server error): ${answer.text.slice(0, 300)}`;
    if (!response) return `answered ${answer.status}, which the document does not list (${Object.keys(this.operation(path, method).responses).join(', ')}): ${answer.text.slice(0, 300)}`;
    const json = response.content?.['application/json'];
    if (!json) {
      const documented = Object.keys(response.content ?? {});
      const type = answer.contentType.split(';')[0].trim();
      return documented.length && !documented.includes(type) ? `answered ${type}, the document says ${documented.join(', ')}` : undefined;
    }
    // A file instead of JSON only where its media type is documented (a driver route's certificate or YAML draft).
    const type = answer.contentType.split(';')[0].trim();
    if (type !== 'application/json' && response.content?.[type]) return undefined;
    if (!answer.contentType.startsWith('application/json')) return `answered ${answer.contentType || 'no content type'} where JSON is documented`;
    let body: unknown;
    try {
      body = JSON.parse(answer.text);
    } catch {
      return `answered ${answer.status} with a body that is not JSON: ${answer.text.slice(0, 200)}`;
    }
    const validate = this.validator(`${method} ${path} ${answer.status}`, json.schema ?? {});
    // The envelope's statusCode is the HTTP status (a 207's items carry their own).
    const envelope = body as { statusCode?: unknown } | null;
    if (answer.status !== 207 && envelope && typeof envelope === 'object' && !Array.isArray(envelope) && 'statusCode' in envelope && envelope.statusCode !== answer.status) {
      return `answered ${answer.status} with statusCode ${String(envelope.statusCode)} in its envelope: ${answer.text.slice(0, 300)}`;
    }
    if (validate(body)) return undefined;
    return `answered ${answer.status} with a body the document does not describe: ${this.ajv.errorsText(validate.errors, { separator: '; ' })} in ${answer.text.slice(0, 400)}`;
  }

  private validator(key: string, schema: object): ValidateFunction {
    let validate = this.validators.get(key);
    if (!validate) {
      // Refs point into this document's components.
      const rebased = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${this.base}#/components/`));
      validate = this.ajv.compile(rebased);
      this.validators.set(key, validate);
    }
    return validate;
  }
}
