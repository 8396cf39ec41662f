import type { Command } from 'commander';
import { ErrorKind, GatewayError, redactUrl } from '@gw/contracts';
import { CliContext } from '../context';
import { table } from '../output';

/** The parts of the app service's GET /api/v3/exports that `gw export status` shows (apps/app-service/src/http/figures.ts). */
interface ExportStatus {
  routes: Array<{
    route: string;
    sinkType: string;
    connected: boolean;
    exported: number;
    pending: number;
    retries: number;
    dropped: { full: number; expired: number; rejected: number };
    lastError?: { message: string; at: string };
    connectionError?: { reason: string; message: string; at: string };
  }>;
  pipelines: Array<{ pipeline: string; received: number; exported: number; filteredOut: number; rejected: number }>;
}

/** The shape gw reads; anything else is not the app service (a proxy, another program on the port). */
function isExportStatus(value: unknown): value is ExportStatus {
  const status = value as Partial<ExportStatus> | null;
  return (
    typeof status === 'object' && status !== null &&
    Array.isArray(status.routes) && Array.isArray(status.pipelines) &&
    status.routes.every((r) => typeof r === 'object' && r !== null && typeof r.route === 'string' && typeof r.dropped === 'object' && r.dropped !== null) &&
    status.pipelines.every((p) => typeof p === 'object' && p !== null && typeof p.pipeline === 'string')
  );
}

/** `gw export status`: the app service's routes (pipeline → sink). */
export function exportCommands(program: Command, ctx: CliContext): Command {
  const exporting = program.command('export').description("the app service's exports");

  exporting
    .command('status')
    .description('every route (pipeline → sink): connected, exported, pending, retries, drops, last error')
    .action(async (_opts, command: Command) => {
      const out = ctx.output(command);
      const status = await ctx.appService().request<unknown>('GET', '/exports');
      if (!isExportStatus(status)) throw new GatewayError(ErrorKind.Communication, `app-service sent an answer gw does not understand (GET ${redactUrl(ctx.config.appServiceUrl)}/api/v3/exports)`);
      out.result({ routes: status.routes, pipelines: status.pipelines }, () => {
        out.line(
          table(
            ['ROUTE', 'SINK', 'CONNECTED', 'EXPORTED', 'PENDING', 'RETRIES', 'DROPPED', 'LAST ERROR'],
            status.routes.map((r) => [
              r.route,
              r.sinkType,
              r.connected ? 'yes' : 'no',
              r.exported,
              r.pending,
              r.retries,
              r.dropped.full + r.dropped.expired + r.dropped.rejected,
              (r.connectionError ?? r.lastError)?.message,
            ]),
          ),
        );
        out.line('');
        out.line(
          table(
            ['PIPELINE', 'RECEIVED', 'EXPORTED', 'FILTERED OUT', 'REJECTED'],
            status.pipelines.map((p) => [p.pipeline, p.received, p.exported, p.filteredOut, p.rejected]),
          ),
        );
      });
    });
  return exporting;
}
