import type { Command } from 'commander';
import { ErrorKind, GatewayError, validateDevice, validateDeviceProfile } from '@gw/contracts';
import { isKubernetesName, KUBERNETES_NAME_RULE } from '@gw/contracts/kubernetes-names';
import { CliContext, readUserFile } from '../context';
import { UsageError } from '../failure';
import { writeStdout } from '../stdout';
import { deviceOutcomes, reportDeviceOutcomes } from './device-outcomes';

/** `gw export kubeedge`: a profile and its devices as KubeEdge v1beta1 DeviceModel and Device objects (multi-document YAML on stdout). */
export function kubeedgeExportCommand(exporting: Command, ctx: CliContext): void {
  exporting
    .command('kubeedge')
    .requiredOption('-p, --profile <name>', 'the profile to export, with every device that uses it')
    .option('--namespace <namespace>', 'Kubernetes namespace of the objects', 'default')
    .option('--node <name>', "spec.nodeName of the Devices (the edge node running their mapper)")
    .option('--protocol <name>', "the Devices' protocolName: the mapper that serves them (default: the driver reading their EdgeX protocol, e.g. modbus for modbus-tcp)")
    .description('print a profile and its devices as KubeEdge DeviceModel and Device objects (kubectl apply -f -) for the gw mapper mode')
    .action(async (opts: { profile: string; namespace: string; node?: string; protocol?: string }, command: Command) => {
      const out = ctx.output(command);
      const { isKubernetesLabel, KUBERNETES_LABEL_RULE } = await import('../kubeedge/names');
      if (!isKubernetesLabel(opts.namespace)) throw new UsageError(`--namespace: "${opts.namespace}" is not a Kubernetes namespace (${KUBERNETES_LABEL_RULE})`);
      if (opts.node !== undefined && !isKubernetesName(opts.node)) throw new UsageError(`--node: "${opts.node}" is not a Kubernetes node name (${KUBERNETES_NAME_RULE})`);
      if (opts.protocol !== undefined && opts.protocol.trim() === '') throw new UsageError('--protocol: expected the name of a mapper, e.g. modbus');
      const metadata = ctx.metadata();
      const [profile, found] = await Promise.all([metadata.profile(opts.profile), metadata.devicesOfProfile(opts.profile)]);
      // By name, so the same gateway gives the same file (diffs in git show real changes).
      const devices = found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      // Loaded here: the other commands need neither the mapping nor KubeEdge's library.
      const { exportKubeEdge } = await import('../kubeedge/to-kubeedge');
      const { DRIVERS } = await import('@gw/drivers');
      const { objects, notes } = exportKubeEdge(profile, devices, { namespace: opts.namespace, nodeName: opts.node, protocolName: opts.protocol?.trim(), drivers: DRIVERS });
      for (const note of notes) process.stderr.write(`gw: note: ${note}\n`);
      const { stringify } = await import('yaml');
      out.result(objects, () => {
        const header = `# gw export kubeedge --profile ${opts.profile}: 1 DeviceModel, ${devices.length} Device${devices.length === 1 ? '' : 's'} (devices.kubeedge.io/v1beta1)\n`;
        writeStdout(header + objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'));
      });
    });
}

/** `gw import kubeedge -f FILE`: DeviceModel and Device objects as EdgeX profiles and devices, added in core-metadata (or printed with --dry-run). */
export function importCommands(program: Command, ctx: CliContext): void {
  const importing = program.command('import').description('objects of other systems into the gateway');
  importing
    .command('kubeedge')
    .requiredOption('-f, --file <file>', 'KubeEdge v1beta1 DeviceModel and Device objects (multi-document YAML); - for stdin')
    .option('--service <name>', 'device service of the devices (default: their edgexfoundry.org/service annotation)')
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
        const { DRIVERS } = await import('@gw/drivers');
        result = importKubeEdge(docs.map((d) => d.toJS()), file.name, { serviceName: opts.service, drivers: DRIVERS });
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
          writeStdout([...profiles.map((p) => stringify(p, { lineWidth: 0 })), stringify({ deviceList: devices }, { lineWidth: 0 })].join('---\n')),
        );
        return;
      }
      const metadata = ctx.metadata();
      for (const profile of profiles) await metadata.addProfile(profile);
      const results = deviceOutcomes(devices, devices.length ? await metadata.addDevices(devices) : []);
      out.result({ profiles: profiles.map((p) => p.name), devices: results }, () => {
        for (const p of profiles) out.line(`added profile ${p.name}`);
      });
      reportDeviceOutcomes(out, results, 'added device');
    });
}
