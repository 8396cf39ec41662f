import { PathSegment, Problem } from './problems';

/** Every item after the first that reuses a name, pointed at its `name` field. */
export function duplicateNames(items: { name: string }[], at: PathSegment[], kind: string): Problem[] {
  const first = new Map<string, number>();
  return items.flatMap((item, index) => {
    const earlier = first.get(item.name);
    if (earlier === undefined) {
      first.set(item.name, index);
      return [];
    }
    return [{ path: [...at, index, 'name'], message: `duplicate ${kind} name "${item.name}" (first at index ${earlier})` }];
  });
}
