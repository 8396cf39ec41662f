/**
 * REST routes of browsing (served as /api/v3/opcua/...), on configured
 * servers only (GW_OPCUA_DISCOVERY_ENDPOINTS):
 *   GET browse?endpoint=...&nodeId=...        one level below a node (default: the Objects folder)
 *   GET profiledraft?endpoint=...&nodeId=...&name=...&format=yaml|json&nodeIds=index|uri&addressing=nodeId|browsePath
 *                                             an EdgeX device profile drafted from an object's variables,
 *                                             to edit and upload to core-metadata (browsePath: one profile
 *                                             for every object of the type, each device reading its own)
 * Light: the OPC UA library loads on the first call.
 */
import { stringify } from 'yaml';
import { z } from 'zod';
import { ErrorKind, GatewayError, nameProblem } from '@gw/contracts';
import { driverRoute, DriverRoute } from '@gw/device-sdk/driver';
import { nodeIdProblem } from '../attributes';
import type { OpcuaSettings } from '../descriptor';
import type { Pki } from '../security/types';
import { allowedEndpoint } from './endpoints';

export interface DiscoveryRouteDeps {
  settings: OpcuaSettings;
  pki(): Promise<Pki>;
}

const nodeId = z
  .string()
  .max(4096)
  .superRefine((text, ctx) => {
    const problem = nodeIdProblem(text);
    if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${JSON.stringify(text.slice(0, 200))} is not a node id: ${problem}` });
  });
const endpoint = z.string().max(2048).optional();

export function discoveryRoutes(deps: DiscoveryRouteDeps): DriverRoute[] {
  return [
    driverRoute({
      method: 'GET',
      path: 'browse',
      answer: { json: z.object({ endpoint: z.string(), nodeId: z.string(), references: z.array(z.record(z.string(), z.unknown())), truncated: z.boolean() }).strict(), errors: [400, 404, 503, 504] },
      query: z.object({ endpoint, nodeId: nodeId.default('i=85') }).strict(),
      handle: async ({ query }) => {
        const url = allowedEndpoint(deps.settings.discoveryEndpoints, query.endpoint);
        const [{ withBrowseSession }, { browseChildren }, { resolveNodes }, { parseNodeAddress }] = await Promise.all([
          import('./session'),
          import('./browse'),
          import('../nodes'),
          import('../attributes'),
        ]);
        const level = await withBrowseSession(deps, url, async (session) => {
          const [id] = await resolveNodes(session, [parseNodeAddress(query.nodeId)], () => 'query parameter nodeId');
          const [found] = await browseChildren(session, [id], deps.settings.browseMaxReferences);
          return found;
        });
        return { json: { endpoint: url, nodeId: query.nodeId, references: level.references, truncated: level.truncated } };
      },
    }),
    driverRoute({
      method: 'GET',
      path: 'profiledraft',
      answer: { json: z.object({ profile: z.record(z.string(), z.unknown()), skipped: z.array(z.record(z.string(), z.unknown())), truncated: z.boolean() }).strict(), fileTypes: ['application/x-yaml'], errors: [400, 404, 503, 504] },
      query: z
        .object({
          endpoint,
          nodeId,
          name: z
            .string()
            .optional()
            .superRefine((text, ctx) => {
              const problem = text === undefined ? undefined : nameProblem(text);
              if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
            }),
          format: z.enum(['yaml', 'json']).default('yaml'),
          /** `uri` writes nodeId attributes as nsu=<namespace URI>; (default: EdgeX's ns=<index>;). */
          nodeIds: z.enum(['index', 'uri']).default('index'),
          /** `browsePath` addresses variables by browse name from the device's object (opcua.ObjectNodeId), so one profile serves every object of the type. */
          addressing: z.enum(['nodeId', 'browsePath']).default('nodeId'),
        })
        .strict(),
      handle: async ({ query }) => {
        const url = allowedEndpoint(deps.settings.discoveryEndpoints, query.endpoint);
        const [{ withBrowseSession }, { profileDraft }, { resolveNodes }, { parseNodeAddress }] = await Promise.all([
          import('./session'),
          import('./profile-draft'),
          import('../nodes'),
          import('../attributes'),
        ]);
        const draft = await withBrowseSession(deps, url, async (session) => {
          const [id] = await resolveNodes(session, [parseNodeAddress(query.nodeId)], () => 'query parameter nodeId');
          return profileDraft(session, id, { endpoint: url, objectText: query.nodeId, name: query.name, maxReferences: deps.settings.browseMaxReferences, namespaceUris: query.nodeIds === 'uri', relative: query.addressing === 'browsePath' });
        });
        if (draft.profile.deviceResources.length === 0) {
          const why = draft.skipped.length ? ` (skipped: ${draft.skipped.map((s) => `${s.browseName}: ${s.reason}`).join('; ')})` : '';
          throw new GatewayError(ErrorKind.ContractInvalid, `query parameter nodeId: ${query.nodeId} has no variable EdgeX can carry${why}`);
        }
        if (query.format === 'json') return { json: { profile: draft.profile, skipped: draft.skipped, truncated: draft.truncated } };
        return { content: draftYaml(draft), contentType: 'application/x-yaml; charset=utf-8', fileName: `${draft.profile.name}.yaml` };
      },
    }),
  ];
}

/** The profile as YAML, with what was left out said in comments at the top. */
function draftYaml(draft: { profile: object; skipped: Array<{ browseName: string; nodeId: string; reason: string }>; truncated: boolean }): string {
  const notes = [
    '# Device profile drafted by the gateway from an OPC UA object: check names, units and readWrite,',
    '# then upload it: POST /api/v3/deviceprofile/uploadfile (core-metadata).',
    ...draft.skipped.map((s) => `# skipped ${s.browseName} (${s.nodeId}): ${s.reason}`),
    ...(draft.truncated ? ['# the object has more variables than GW_OPCUA_BROWSE_MAX_REFERENCES: some are missing'] : []),
  ];
  return `${notes.map((line) => line.replace(/[\r\n]+/g, ' ')).join('\n')}\n${stringify(draft.profile)}`;
}
