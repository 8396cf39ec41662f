import type { Command } from 'commander';
import { ErrorKind, GatewayError, validateDevice, validateDeviceProfile } from '@gw/contracts';
import { CliContext, readUserFile } from '../context';
import { ExitCode, Reported, UsageError } from '../failure';

/** `gw export kubeedge`: a profile and its devices as KubeEdge v1beta1 DeviceModel and Device objects (multi-document YAML on stdout). */
export function kubeedgeExportCommand(exporting: Command, ctx: CliContext): void {
  exporting
    .command('kubeedge')
    .requiredOption('-p, --profile <name>', 'the profile to export, with every device that uses it')
    .option('--namespace <namespace>', 'Kubernetes namespace of the objects', 'default')
    .option('--node <name>', "spec.nodeName of the Devices (the edge node running their mapper)")
    .description('print a profile and its devices as KubeEdge DeviceModel and Device objects (kubectl apply -f -)')
    .action(async (opts: { profile: string; namespace: string; node?: string }, command: Command) => {
      const out = ctx.output(command);
      const metadata = ctx.metadata();
      const [profile, found] = await Promise.all([metadata.profile(opts.profile), metadata.devicesOfProfile(opts.profile)]);
      // By name, so the same gateway gives the same file (diffs in git show real changes).
      const devices = found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      // Loaded here: the other commands need neither the mapping nor KubeEdge's library.
      const { exportKubeEdge } = await import('../kubeedge/to-kubeedge');
      const { objects, notes } = exportKubeEdge(profile, devices, { namespace: opts.namespace, nodeName: opts.node });
      for (const note of notes) process.stderr.write(`gw: note: ${note}\n`);
      const { stringify } = await import('yaml');
      out.result(objects, () => {
        const header = `# gw export kubeedge --profile ${opts.profile}: 1 DeviceModel, ${devices.length} Device${devices.length === 1 ? '' : 's'} (devices.kubeedge.io/v1beta1)\n`;
        process.stdout.write(header + objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'));
      });
    });
}

/** `gw import kubeedge -f FILE`: DeviceModel and Device objects as EdgeX profiles and devices, added in core-metadata (or printed with --dry-run). */
export function importCommands(program: Command, ctx: CliContext): void {
  const importing = program.command('import').description('objects of other systems into the gateway');
  importing
    .command('kubeedge')
    .requiredOption('-f, --file <file>', 'KubeEdge v1beta1 DeviceModel and Device objects (multi-document YAML); - for stdin')
    .option('--service <name>', 'device service of the devices (default: their edgex/service annotation)')
    .option('--dry-run', 'print the EdgeX profiles and device list instead of adding them')
    .description('add KubeEdge DeviceModels as profiles and Devices as devices')
    .action(async (opts: { file: string; service?: string; dryRun?: boolean }, command: Command) => {
      const out = ctx.output(command);
      const file = readUserFile(opts.file);
      const { parseAllDocuments, stringify } = await import('yaml');
      const documents = parseAllDocuments(file.text, { prettyErrors: true });
      const docs = Array.isArray(documents) ? documents : [documents];
      for (const doc of docs) {
        if (doc.errors.length) throw new UsageError(`${file.name}: ${doc.errors[0].message.split('\n')[0]}`);
      }
      const { importKubeEdge } = await import('../kubeedge/from-kubeedge');
      let result;
      try {
        result = importKubeEdge(docs.map((d) => d.toJS()), file.name, { serviceName: opts.service });
      } catch (err) {
        if (GatewayError.is(err, ErrorKind.ContractInvalid)) throw new UsageError(err.message);
        throw err;
      }
      const { profiles, devices, notes } = result;
      // The same checks metadata makes, before anything is sent: a file with a mistake adds nothing.
      profiles.forEach((p) => validateDeviceProfile(p, { source: file.name, path: `profile ${p.name}` }));
      devices.forEach((d) => validateDevice(d, { source: file.name, path: `device ${d.name}` }));
      for (const note of notes) process.stderr.write(`gw: note: ${note}\n`);
      if (opts.dryRun) {
        out.result({ profiles, devices }, () =>
          process.stdout.write([...profiles.map((p) => stringify(p, { lineWidth: 0 })), stringify({ deviceList: devices }, { lineWidth: 0 })].join('---\n')),
        );
        return;
      }
      const metadata = ctx.metadata();
      for (const profile of profiles) await metadata.addProfile(profile);
      const outcomes = devices.length ? await metadata.addDevices(devices) : [];
      const results = devices.map((d, i) => ({ name: d.name, ...outcomes[i] }));
      out.result({ profiles: profiles.map((p) => p.name), devices: results }, () => {
        for (const p of profiles) out.line(`added profile ${p.name}`);
        for (const r of results) out.line(r.statusCode < 300 ? `added device ${r.name}` : `${r.name}: ${r.message ?? 'refused'} (${r.statusCode})`);
      });
      const refused = results.filter((r) => r.statusCode >= 300);
      if (refused.length) {
        process.stderr.write(`gw: ${refused.map((r) => `${r.name}: ${r.message ?? 'refused'} (${r.statusCode})`).join('; ')}\n`);
        throw new Reported(ExitCode.Refused);
      }
    });
}
