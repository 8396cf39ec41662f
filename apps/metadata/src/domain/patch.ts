import { ErrorKind, GatewayError } from '@gw/contracts';
import { Document, DocumentStore } from '../persistence/document-store';

/** Clients must not choose ids or timestamps on add; EdgeX ignores them too. */
export function stripIdentity(input: unknown): unknown {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return input;
  const { id: _id, created: _c, modified: _m, ...rest } = input as Record<string, unknown>;
  return rest;
}

/**
 * EdgeX PATCH semantics: the entity is found by `id` (which allows a rename) or
 * by `name`; every field present in the patch replaces the stored one whole.
 * Returns the stored entity and the merged body, still to be validated.
 */
export async function applyPatch<T extends Document>(
  store: DocumentStore<T>,
  input: unknown,
  path: string,
): Promise<{ current: T; merged: Record<string, unknown> }> {
  if (!input || typeof input !== 'object' || Array.isArray(input)) {
    throw new GatewayError(ErrorKind.ContractInvalid, `${path}: expected an object`);
  }
  const patch = input as Record<string, unknown>;
  if (typeof patch.id !== 'string' && typeof patch.name !== 'string') {
    throw new GatewayError(ErrorKind.ContractInvalid, `${path}: id or name is required to find what to update`);
  }
  const current = typeof patch.id === 'string' ? await store.getById(patch.id) : await store.getByName(patch.name as string);
  const { id: _id, created: _c, modified: _m, ...body } = current;
  const merged: Record<string, unknown> = { ...body };
  for (const [key, value] of Object.entries(stripIdentity(patch) as object)) {
    if (value !== undefined) merged[key] = value;
  }
  return { current, merged };
}
