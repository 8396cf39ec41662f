/** POSTs EdgeX add requests (`key` wraps each item) to core-metadata at `metadataUrl`, failing on any refused item. */
export async function addToMetadata(metadataUrl: string, path: string, key: string, items: unknown[]): Promise<void> {
  const res = await fetch(`${metadataUrl}/api/v3${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(items.map((item) => ({ apiVersion: 'v3', [key]: item }))),
  });
  const outcomes = (await res.json()) as Array<{ statusCode: number; message?: string }>;
  const failed = outcomes.find((o) => o.statusCode >= 300);
  if (failed) throw new Error(`POST ${path}: ${failed.message}`);
}
