import { randomUUID } from 'node:crypto';
import { EntityManager, EntitySchema, Repository, SelectQueryBuilder } from 'typeorm';
import { ErrorKind, GatewayError, Page, PageQuery } from '@gw/contracts';
import { StoredRow } from './entities';

/** The fields every stored EdgeX entity has. */
export interface Document {
  id?: string;
  name: string;
  labels?: string[];
  created?: number;
  modified?: number;
}

/** A page of a metadata listing, which EdgeX also filters by label. */
export interface LabelledPageQuery extends PageQuery {
  /** Matches entities carrying any of these labels. */
  labels?: string[];
}

/** Equality filters on the indexed reference columns. */
export type RefFilter = Partial<Record<'serviceName' | 'profileName' | 'manufacturer' | 'model', string>>;

/**
 * One table of JSON documents. The entity kind ("device profile") is used in
 * error messages so a 404 or 409 says what was missing or duplicated.
 */
export class DocumentStore<T extends Document> {
  private readonly repo: Repository<StoredRow>;

  constructor(
    manager: EntityManager,
    schema: EntitySchema<StoredRow>,
    private readonly kind: string,
    private readonly refsOf: (doc: T) => Partial<StoredRow> = () => ({}),
  ) {
    this.repo = manager.getRepository(schema);
  }

  async findByName(name: string): Promise<T | undefined> {
    // TypeORM drops an undefined key from the filter and would answer with any row.
    requireKey('name', name, this.kind);
    const row = await this.repo.findOneBy({ name });
    return row ? this.toDocument(row) : undefined;
  }

  async findById(id: string): Promise<T | undefined> {
    requireKey('id', id, this.kind);
    const row = await this.repo.findOneBy({ id });
    return row ? this.toDocument(row) : undefined;
  }

  async getByName(name: string): Promise<T> {
    const doc = await this.findByName(name);
    if (!doc) throw new GatewayError(ErrorKind.EntityNotFound, `${this.kind} '${name}' does not exist`);
    return doc;
  }

  async getById(id: string): Promise<T> {
    const doc = await this.findById(id);
    if (!doc) throw new GatewayError(ErrorKind.EntityNotFound, `${this.kind} with id '${id}' does not exist`);
    return doc;
  }

  async exists(name: string): Promise<boolean> {
    return (await this.repo.countBy({ name })) > 0;
  }

  /** Stores a new document; assigns id, created and modified. */
  async insert(doc: T, now = Date.now()): Promise<T> {
    if (await this.exists(doc.name)) {
      throw new GatewayError(ErrorKind.DuplicateName, `${this.kind} '${doc.name}' already exists`);
    }
    const stored = { ...doc, id: doc.id ?? randomUUID(), created: now, modified: now };
    await this.repo.insert(this.toRow(stored)).catch((err) => this.rethrowDuplicate(err, doc.name));
    return stored;
  }

  /** Replaces the stored document with the same id, keeping `created`. */
  async replace(doc: T & { id: string }, now = Date.now()): Promise<T> {
    const current = await this.getById(doc.id);
    if (current.name !== doc.name && (await this.exists(doc.name))) {
      throw new GatewayError(ErrorKind.DuplicateName, `${this.kind} '${doc.name}' already exists`);
    }
    const stored = { ...doc, created: current.created, modified: now };
    await this.repo.update({ id: doc.id }, this.toRow(stored)).catch((err) => this.rethrowDuplicate(err, doc.name));
    return stored;
  }

  async deleteByName(name: string): Promise<T> {
    const doc = await this.getByName(name);
    await this.repo.delete({ name });
    return doc;
  }

  async count(filter: RefFilter = {}): Promise<number> {
    return this.repo.countBy(filter);
  }

  async all(filter: RefFilter = {}): Promise<T[]> {
    const rows = await this.repo.find({ where: filter, order: { created: 'DESC', name: 'ASC' } });
    return rows.map((row) => this.toDocument(row));
  }

  /**
   * Newest first. Sorted by creation, not modification: operating-state
   * updates touch `modified` all the time, and a client paging by offset
   * would then see devices skip pages or repeat.
   */
  async page(query: LabelledPageQuery, filter: RefFilter = {}): Promise<Page<T>> {
    const builder = this.filtered(query, filter);
    const totalCount = query.countTotal ? await builder.getCount() : 0;
    if (query.countTotal && query.offset > 0 && query.offset >= totalCount) {
      throw new GatewayError(
        ErrorKind.RangeNotSatisfiable,
        `offset ${query.offset} is past the last of ${totalCount} ${this.kind}(s)`,
      );
    }
    builder.orderBy('row.created', 'DESC').addOrderBy('row.name', 'ASC').offset(query.offset);
    if (query.limit >= 0) builder.limit(query.limit);
    const rows = await builder.getMany();
    return { items: rows.map((row) => this.toDocument(row)), totalCount };
  }

  private filtered(query: LabelledPageQuery, filter: RefFilter): SelectQueryBuilder<StoredRow> {
    const builder = this.repo.createQueryBuilder('row');
    for (const [column, value] of Object.entries(filter)) {
      builder.andWhere(`row.${column} = :${column}`, { [column]: value });
    }
    if (query.labels?.length) {
      const clauses = query.labels.map((_, i) => `row.labels LIKE :label${i} ESCAPE '\\'`);
      const params = Object.fromEntries(query.labels.map((label, i) => [`label${i}`, `%${likeLiteral(JSON.stringify(label))}%`]));
      builder.andWhere(`(${clauses.join(' OR ')})`, params);
    }
    return builder;
  }

  /** Two concurrent adds of one name both pass the exists() check; the unique index decides. */
  private rethrowDuplicate(err: unknown, name: string): never {
    const code = (err as { code?: string; driverError?: { code?: string } }).driverError?.code ?? (err as { code?: string }).code;
    if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      throw new GatewayError(ErrorKind.DuplicateName, `${this.kind} '${name}' already exists`);
    }
    throw err;
  }

  private toRow(doc: T & { id: string; created?: number; modified?: number }): StoredRow {
    const { id, created, modified, ...body } = doc;
    return {
      id,
      name: doc.name,
      labels: JSON.stringify(doc.labels ?? []),
      body: JSON.stringify(body),
      created: created ?? Date.now(),
      modified: modified ?? Date.now(),
      ...this.refsOf(doc),
    };
  }

  private toDocument(row: StoredRow): T {
    return { id: row.id, created: row.created, modified: row.modified, ...JSON.parse(row.body) } as T;
  }
}

function requireKey(field: string, value: unknown, kind: string): void {
  if (typeof value !== 'string' || value === '') {
    throw new GatewayError(ErrorKind.ContractInvalid, `${field}: a non-empty string is required to find the ${kind}`);
  }
}

function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => '\\' + c);
}
