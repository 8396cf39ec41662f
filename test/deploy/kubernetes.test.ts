/**
 * deploy/kubernetes as shipped, checked offline: each overlay rendered by
 * kustomize (`kubectl kustomize`, kubectl's own kustomize; .ci/run installs
 * kubectl where it is missing) with the secrets made as its comment says
 * (bin/init-secrets.js into its secrets/ folder), every object validated
 * against Kubernetes' API schemas (kubernetes-models' validators for types,
 * and strictly, as kubectl applies, for unknown fields: kubernetes-fields.ts),
 * what the API server checks across fields (selectors, volume and port
 * names), then what the schemas cannot know: each container runs a service the image has, with variables
 * that service reads and the values docker-compose.yml gives it, probes on
 * open routes on its own port, EdgeX ports, every Secret, ConfigMap and
 * *_FILE path it names present, the compose config files reused unchanged.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { DRIVERS } from '@gw/drivers';
import { configVariables, settingsVariables, unknownVariableMessage, unknownVariables } from '@gw/service-kit/config';
import { OPEN_ROUTES } from '../../libs/service-kit/src/auth';
import { appServiceConfigVariables } from '../../apps/app-service/src/config';
import { parsePipelinesFile } from '../../apps/app-service/src/pipeline/pipelines-file';
import { coreCommandConfigVariables } from '../../apps/core-command/src/config';
import { coreDataConfigVariables } from '../../apps/core-data/src/config';
import { consoleConfigVariables } from '../../apps/console/src/config';
import { deviceServiceConfigSchema } from '../../apps/device-service/src/config';
import { gatewayConfigVariables } from '../../apps/gateway/src/config';
import { metadataConfigVariables } from '../../apps/metadata/src/config';
import { unknownFields } from './kubernetes-fields';
import { initSecrets, ROOT } from './support';

/** A rendered object: untyped YAML until validated. */
type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [key: string]: any };

const KUBECTL = process.env.KUBECTL ?? 'kubectl';
const OVERLAYS = ['single-node', 'services'] as const;
const IMAGE = 'edge-gateway';
/** EdgeX's ports (DESIGN: the services answer where EdgeX's do). */
const EDGEX_PORTS: Record<string, number> = {
  'core-data': 59880,
  metadata: 59881,
  'core-command': 59882,
  'app-service': 59700,
  console: 4000, // EdgeX UI's
  'device-virtual': 59900,
  'device-modbus': 59901,
  'device-opcua': 59902,
  'device-ble': 59903,
  'device-zigbee': 59904,
};
/**
 * Where the Kubernetes environment differs from compose's on purpose. device-ble
 * shares the node's network in both, but in the cluster it resolves Service
 * names (dnsPolicy ClusterFirstWithHostNet) where compose reaches published ports on 127.0.0.1.
 */
const DIFFERS_FROM_COMPOSE: Record<string, string[]> = {
  'device-ble': ['GW_BUS_URL', 'GW_METADATA_URL', 'GW_DEVICE_SERVICE_BASE_ADDRESS'],
};
const WORKLOADS = new Set(['Deployment', 'DaemonSet', 'StatefulSet']);

/** The services bin/service.js (the image's entry point) starts, by argument. */
function imageServices(): string[] {
  const source = readFileSync(join(ROOT, 'bin/service.js'), 'utf8');
  const block = /const SERVICES = \{([^}]*)\}/.exec(source)?.[1] ?? '';
  return [...block.matchAll(/^\s*'?([a-z-]+)'?:/gm)].map((m) => m[1]);
}

/** Every variable a service started with `arg` reads (its config loader's list); a device service's for its driver only. */
function knownVariables(arg: string, env: Record<string, string>): string[] {
  switch (arg) {
    case 'metadata':
      return metadataConfigVariables();
    case 'core-data':
      return coreDataConfigVariables();
    case 'core-command':
      return coreCommandConfigVariables();
    case 'app-service':
      return appServiceConfigVariables();
    case 'console':
      return consoleConfigVariables();
    case 'gateway':
      return gatewayConfigVariables();
    case 'device-service': {
      const driver = DRIVERS.find((d) => d.name === (env.GW_DEVICE_SERVICE_DRIVER ?? 'virtual'));
      if (!driver) throw new Error(`unknown driver ${env.GW_DEVICE_SERVICE_DRIVER}`);
      return [...configVariables(deviceServiceConfigSchema(driver), 'device-service'), ...settingsVariables(driver.settings, driver.name)];
    }
    default:
      throw new Error(`no variables known for ${arg}`);
  }
}

/** The schema class of an object, as kubernetes-models lays them out (`apps/v1/Deployment`, `v1/Service`). */
async function model(object: K8sObject): Promise<new (data: unknown) => { validate(): void }> {
  const module = await import(`kubernetes-models/${object.apiVersion}/${object.kind}`);
  return module[object.kind];
}

function podSpec(object: K8sObject): any {
  return object.spec.template.spec;
}

const envOf = (container: any): Record<string, string> => Object.fromEntries((container.env ?? []).map((e: any) => [e.name, e.value]));
const where = (object: K8sObject, container?: any) => `${object.kind}/${object.metadata.name}${container ? ` ${container.name}` : ''}`;

/** Whether a file path in a container comes from one of its mounts: a projected/secret item, or a subPath file. */
function mountedFile(object: K8sObject, container: any, path: string): boolean {
  const volumes = new Map<string, any>((podSpec(object).volumes ?? []).map((v: any) => [v.name, v]));
  return (container.volumeMounts ?? []).some((mount: any) => {
    const volume = volumes.get(mount.name);
    if (mount.subPath) return mount.mountPath === path && (volume?.configMap || volume?.secret);
    if (!path.startsWith(`${mount.mountPath}/`)) return false;
    const inside = path.slice(mount.mountPath.length + 1);
    const items = [
      ...(volume?.projected?.sources ?? []).flatMap((s: any) => (s.secret ?? s.configMap)?.items ?? []),
      ...(volume?.secret?.items ?? []),
    ];
    return items.some((item: any) => item.path === inside);
  });
}

/**
 * kustomize writes a long Secret value's base64 as lines of 70 characters, which
 * the API server's decoder reads as one (Go's base64 ignores line breaks); the
 * schema's `byte` format does not, so the value is joined before validation.
 */
function unwrapSecretData(object: K8sObject): K8sObject {
  if (object.kind !== 'Secret' || !object.data) return object;
  return { ...object, data: Object.fromEntries(Object.entries(object.data).map(([k, v]) => [k, String(v).replace(/\s+/g, '')])) };
}

describe('deploy/kubernetes', () => {
  let work: string;
  const rendered: Record<string, K8sObject[]> = {};

  beforeAll(() => {
    let version = '';
    try {
      version = execFileSync(KUBECTL, ['version', '--client'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      throw new Error(`kubectl is not installed (or KUBECTL=${KUBECTL} is wrong): the manifests are rendered with \`kubectl kustomize\`; .ci/run installs it`);
    }
    if (!/^Kustomize Version: v5\./m.test(version)) {
      throw new Error(`${KUBECTL} has no kustomize v5 (kubectl 1.27 or later renders the overlays; .ci/run installs one):\n${version}`);
    }
    // A copy of deploy/ with the secrets made as the overlays' comments say, never in the checkout.
    work = mkdtempSync(join(tmpdir(), 'gw-kubernetes-'));
    cpSync(join(ROOT, 'deploy'), join(work, 'deploy'), { recursive: true, filter: (source) => !/\/overlays\/[^/]+\/secrets(\/|$)/.test(source) });
    for (const overlay of OVERLAYS) {
      const dir = join(work, 'deploy/kubernetes/overlays', overlay);
      initSecrets(join(dir, 'secrets'));
      const yaml = execFileSync(KUBECTL, ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      rendered[overlay] = parseAllDocuments(yaml).map((doc) => unwrapSecretData(doc.toJS() as K8sObject));
    }
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const objects = (overlay: string) => rendered[overlay];
  const workloads = (overlay: string) => objects(overlay).filter((o) => WORKLOADS.has(o.kind));
  /** The gateway's own containers (the image), with their workload. */
  const gatewayContainers = (overlay: string) =>
    workloads(overlay).flatMap((object) =>
      (podSpec(object).containers as any[]).filter((c) => c.image.split(':')[0] === IMAGE).map((container) => ({ object, container })),
    );

  describe.each(OVERLAYS)('overlay %s', (overlay) => {
    it('renders, and every object is valid against the Kubernetes API schemas', async () => {
      expect(objects(overlay).length).toBeGreaterThan(3);
      for (const object of objects(overlay)) {
        const Model = await model(object);
        try {
          new Model(object).validate();
        } catch (err) {
          throw new Error(`${where(object)}: ${(err as Error).message}`);
        }
      }
      // kubectl applies with strict field validation: an unknown field (a typo) is refused there.
      expect(unknownFields(objects(overlay))).toEqual([]);
    });

    it('passes the API server\'s checks across fields: selectors match their pods, mounts name volumes, Services target named ports', () => {
      const selects = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
        Object.keys(selector ?? {}).length > 0 && Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
      for (const object of workloads(overlay)) {
        const labels = object.spec.template.metadata?.labels;
        expect([where(object), selects(object.spec.selector?.matchLabels, labels)]).toEqual([where(object), true]);
        expect([where(object), labels?.['app.kubernetes.io/part-of']]).toEqual([where(object), 'edge-gateway']);
        // A StatefulSet's volumeClaimTemplates are volumes of its pods too.
        const volumes = new Set([...(podSpec(object).volumes ?? []), ...(object.spec.volumeClaimTemplates ?? []).map((t: any) => t.metadata)].map((v: any) => v.name));
        for (const container of [...podSpec(object).containers, ...(podSpec(object).initContainers ?? [])]) {
          const missing = (container.volumeMounts ?? []).map((m: any) => m.name).filter((name: string) => !volumes.has(name));
          expect([where(object, container), missing]).toEqual([where(object, container), []]);
        }
        if (object.kind === 'StatefulSet') {
          // Its pods' DNS names (postgres-0.postgres) come from a headless Service of that name.
          const governing = objects(overlay).find((o) => o.kind === 'Service' && o.metadata.name === object.spec.serviceName);
          expect([where(object), governing?.spec.clusterIP]).toEqual([where(object), 'None']);
        }
      }
      for (const service of objects(overlay).filter((o) => o.kind === 'Service')) {
        const pods = workloads(overlay).filter((o) => selects(service.spec.selector, o.spec.template.metadata?.labels));
        expect([where(service), pods.length]).toEqual([where(service), 1]);
        const ports = (podSpec(pods[0]).containers as any[]).flatMap((c) => c.ports ?? []);
        for (const port of service.spec.ports) {
          expect([where(service), port.targetPort, ports.some((p: any) => p.name === port.targetPort)]).toEqual([where(service), port.targetPort, true]);
        }
      }
    });

    it('never mounts a service account token (no pod talks to the Kubernetes API)', () => {
      for (const object of workloads(overlay)) {
        expect([where(object), podSpec(object).automountServiceAccountToken]).toEqual([where(object), false]);
      }
    });

    it('puts everything in the edge-gateway namespace, labelled as part of the gateway', () => {
      for (const object of objects(overlay).filter((o) => o.kind !== 'Namespace')) {
        expect([where(object), object.metadata.namespace, object.metadata.labels?.['app.kubernetes.io/part-of']]).toEqual([where(object), 'edge-gateway', 'edge-gateway']);
      }
    });

    it('runs the image only with a service its entry point knows, never another command', () => {
      const services = imageServices();
      expect(services).toEqual(expect.arrayContaining(['gateway', 'metadata', 'core-data', 'core-command', 'device-service', 'app-service']));
      const containers = gatewayContainers(overlay);
      expect(containers.length).toBeGreaterThan(0);
      for (const { object, container } of containers) {
        expect([where(object, container), container.command, container.args?.length, services.includes(container.args?.[0])]).toEqual([where(object, container), undefined, 1, true]);
      }
    });

    it('gives each service only variables it reads', () => {
      for (const { object, container } of gatewayContainers(overlay)) {
        const env = envOf(container);
        const known = new Set(knownVariables(container.args[0], env));
        const unknown = Object.keys(env).filter((name) => name.startsWith('GW_') && !known.has(name));
        const hints = unknownVariables(env, known).map((v) => unknownVariableMessage(v, object.metadata.name));
        expect([where(object, container), unknown, hints]).toEqual([where(object, container), [], []]);
        expect(container.envFrom).toBeUndefined();
      }
    });

    it('probes ping (alive) and ready (serving) on the service\'s own port, routes open without the API key', () => {
      const open = OPEN_ROUTES.filter((r) => r.method === 'GET').map((r) => r.url);
      for (const { object, container } of gatewayContainers(overlay)) {
        const port = (ref: string | number) => (container.ports ?? []).find((p: any) => p.name === ref || p.containerPort === ref)?.containerPort;
        const probe = (kind: string) => {
          const get = container[kind]?.httpGet;
          return get && { path: get.path, port: port(get.port), open: open.includes(get.path) };
        };
        // The gateway's probes go to core-metadata's port, as its image HEALTHCHECK does.
        const own = container.args[0] === 'gateway' ? EDGEX_PORTS.metadata : EDGEX_PORTS[object.metadata.name];
        expect([where(object, container), probe('startupProbe'), probe('livenessProbe'), probe('readinessProbe')]).toEqual([
          where(object, container),
          { path: '/api/v3/ping', port: own, open: true },
          { path: '/api/v3/ping', port: own, open: true },
          { path: '/api/v3/ready', port: own, open: true },
        ]);
      }
    });

    it('runs the gateway as the image\'s node user on a read-only root filesystem without capabilities (but the hardware services)', () => {
      /** What BLE (root with NET_ADMIN and NET_RAW: HCI sockets) and ZigBee (a privileged container: its device node) need beyond that. */
      const HARDWARE: Record<string, unknown> = {
        'device-ble': { runAsUser: 0, add: ['NET_ADMIN', 'NET_RAW'], privileged: undefined },
        'device-zigbee': { runAsUser: 1000, add: undefined, privileged: true },
      };
      for (const { object, container } of gatewayContainers(overlay)) {
        const pod = podSpec(object).securityContext ?? {};
        const own = container.securityContext ?? {};
        const user = own.runAsUser ?? pod.runAsUser;
        expect([where(object, container), own.readOnlyRootFilesystem]).toEqual([where(object, container), true]);
        // A privileged container has every capability whatever it drops.
        if (!own.privileged) expect([where(object, container), own.capabilities?.drop]).toEqual([where(object, container), ['ALL']]);
        const seen = { runAsUser: user, add: own.capabilities?.add, privileged: own.privileged };
        expect([where(object, container), seen]).toEqual([where(object, container), HARDWARE[object.metadata.name] ?? { runAsUser: 1000, add: undefined, privileged: undefined }]);
        if (!HARDWARE[object.metadata.name]) expect([where(object, container), pod.runAsNonRoot, own.allowPrivilegeEscalation]).toEqual([where(object, container), true, false]);
      }
    });

    it('sets memory requests and limits (request within limit) and a CPU request on every container', () => {
      const mi = (q: string) => Number(/^(\d+)Mi$/.exec(q)?.[1] ?? (/^(\d+)Gi$/.exec(q) ? Number(/^(\d+)Gi$/.exec(q)![1]) * 1024 : NaN));
      for (const object of workloads(overlay)) {
        for (const container of podSpec(object).containers) {
          const { requests, limits } = container.resources ?? {};
          expect([where(object, container), Boolean(requests?.cpu), mi(requests?.memory) > 0, mi(requests?.memory) <= mi(limits?.memory)]).toEqual([
            where(object, container),
            true,
            true,
            true,
          ]);
        }
      }
    });

    it('names only Secrets and ConfigMaps the overlay makes, with the keys it reads, and mounts every *_FILE it names', () => {
      const made = new Map(objects(overlay).filter((o) => o.kind === 'Secret' || o.kind === 'ConfigMap').map((o) => [`${o.kind}/${o.metadata.name}`, o]));
      for (const object of workloads(overlay)) {
        const spec = podSpec(object);
        const references: Array<{ kind: string; name: string; keys: string[] }> = [];
        for (const volume of spec.volumes ?? []) {
          const keys = (items?: any[]) => (items ?? []).map((i) => i.key);
          if (volume.secret) references.push({ kind: 'Secret', name: volume.secret.secretName, keys: keys(volume.secret.items) });
          if (volume.configMap) references.push({ kind: 'ConfigMap', name: volume.configMap.name, keys: keys(volume.configMap.items) });
          for (const source of volume.projected?.sources ?? []) {
            if (source.secret) references.push({ kind: 'Secret', name: source.secret.name, keys: keys(source.secret.items) });
            if (source.configMap) references.push({ kind: 'ConfigMap', name: source.configMap.name, keys: keys(source.configMap.items) });
          }
        }
        for (const container of [...spec.containers, ...(spec.initContainers ?? [])]) {
          for (const e of container.env ?? []) {
            const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
            if (ref) references.push({ kind: e.valueFrom.secretKeyRef ? 'Secret' : 'ConfigMap', name: ref.name, keys: [ref.key] });
          }
          // A secret read from a file (GW_BUS_PASSWORD_FILE, POSTGRES_PASSWORD_FILE), not a setting whose name ends in FILE (GW_METADATA_UNITS_FILE).
          const known = container.image.split(':')[0] === IMAGE && container.args ? new Set(knownVariables(container.args?.[0], envOf(container))) : undefined;
          const fileForm = (name: string) => name.endsWith('_FILE') && (!known || known.has(name.slice(0, -'_FILE'.length)));
          for (const [name, value] of Object.entries(envOf(container))) {
            if (fileForm(name)) expect([where(object, container), name, value, mountedFile(object, container, value)]).toEqual([where(object, container), name, value, true]);
          }
        }
        for (const ref of references) {
          const target = made.get(`${ref.kind}/${ref.name}`);
          const missing = ref.keys.filter((key) => !(key in (target?.data ?? {})));
          expect([where(object), `${ref.kind}/${ref.name}`, Boolean(target), missing]).toEqual([where(object), `${ref.kind}/${ref.name}`, true, []]);
        }
      }
    });

    it('keeps the generated secrets out of git', () => {
      for (const file of ['api-key', 'bus/core-data.password', 'postgres/password']) {
        const path = `deploy/kubernetes/overlays/${overlay}/secrets/${file}`;
        expect(() => execFileSync('git', ['check-ignore', '-q', path], { cwd: ROOT })).not.toThrow();
      }
      const tracked = execFileSync('git', ['ls-files', 'deploy'], { cwd: ROOT, encoding: 'utf8' }).split('\n');
      expect(tracked.filter((f) => f.includes('/secrets/'))).toEqual([]);
    });
  });

  describe('single-node', () => {
    it('runs the one-process gateway once, its data directory on a persistent volume', () => {
      const [deployment, ...others] = workloads('single-node');
      expect(others).toEqual([]);
      expect([deployment.kind, deployment.spec.replicas, deployment.spec.strategy?.type]).toEqual(['Deployment', 1, 'Recreate']);
      const container = podSpec(deployment).containers[0];
      expect(container.args).toEqual(['gateway']);
      const dataDir = envOf(container).GW_DATA_DIR ?? '/app/data';
      const mount = container.volumeMounts.find((m: any) => m.mountPath === posix.normalize(dataDir));
      const volume = podSpec(deployment).volumes.find((v: any) => v.name === mount?.name);
      const claim = objects('single-node').find((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === volume?.persistentVolumeClaim?.claimName);
      expect(claim?.spec.accessModes).toEqual(['ReadWriteOnce']);
    });

    it('exports what the overlay\'s pipelines.yaml says (nothing until edited, never to a localhost broker), mounted where GW_PIPELINES_FILE points', () => {
      const file = readFileSync(join(ROOT, 'deploy/kubernetes/overlays/single-node/pipelines.yaml'), 'utf8');
      const configMap = objects('single-node').find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('gateway-pipelines-'));
      expect(configMap?.data['pipelines.yaml']).toBe(file);
      const [deployment] = workloads('single-node');
      const container = podSpec(deployment).containers[0];
      const path = envOf(container).GW_PIPELINES_FILE;
      expect([path, mountedFile(deployment, container, path)]).toEqual(['/etc/gateway/pipelines.yaml', true]);
      // Valid at boot, and no sink to a broker this pod does not run.
      expect(parsePipelinesFile(file, 'pipelines.yaml', { topicBase: 'edgex' })).toEqual({ sinks: [], pipelines: [] });
      // Its commented example is a valid file once uncommented.
      const lines = file.split('\n');
      const from = lines.indexOf('# sinks:');
      const to = lines.findIndex((line, i) => i > from && !line.startsWith('#'));
      const example = lines.slice(from, to).map((line) => line.slice(2)).join('\n');
      const parsed = parsePipelinesFile(example, 'example', { topicBase: 'edgex', env: { EXPORT_MQTT_PASSWORD: 'x' } });
      expect(parsed.pipelines.map((p) => p.sinks)).toEqual([['plant-mqtt']]);
    });

    it('serves each service on its EdgeX port', () => {
      const service = objects('single-node').find((o) => o.kind === 'Service');
      const ports = Object.fromEntries(service!.spec.ports.map((p: any) => [p.name, p.port]));
      const hosted = ['core-data', 'metadata', 'core-command', 'app-service', 'console', ...DRIVERS.filter((d) => d.hostedByDefault).map((d) => d.serviceName)];
      expect(ports).toEqual(Object.fromEntries(hosted.map((name) => [name, EDGEX_PORTS[name]])));
    });
  });

  describe('services', () => {
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { environment?: Record<string, string> }>;
    };
    /** A compose value as compose resolves it with nothing set in .env: `${X:-default}` is the default. */
    const resolved = (value: string) => String(value).replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1');

    it('runs every gateway service of docker-compose.yml, each on its EdgeX port behind a Service of its name', () => {
      const names = gatewayContainers('services').map(({ object }) => object.metadata.name).sort();
      expect(names).toEqual(Object.keys(EDGEX_PORTS).sort());
      for (const { object, container } of gatewayContainers('services')) {
        const name = object.metadata.name;
        const port = EDGEX_PORTS[name];
        const driver = DRIVERS.find((d) => d.serviceName === name);
        if (driver) expect([name, driver.defaultPort, envOf(container).GW_DEVICE_SERVICE_PORT]).toEqual([name, port, String(port)]);
        expect([name, container.ports.map((p: any) => p.containerPort)]).toEqual([name, [port]]);
        const service = objects('services').find((o) => o.kind === 'Service' && o.metadata.name === name);
        expect([name, service?.spec.selector, service?.spec.ports.map((p: any) => [p.port, p.targetPort])]).toEqual([
          name,
          { 'app.kubernetes.io/name': name },
          [[port, 'http']],
        ]);
        expect([name, object.spec.template.metadata.labels['app.kubernetes.io/name']]).toEqual([name, name]);
      }
    });

    it('gives each service the environment docker-compose.yml gives it (but what it does not read)', () => {
      for (const { object, container } of gatewayContainers('services')) {
        const name = object.metadata.name;
        const env = envOf(container);
        const known = new Set(knownVariables(container.args[0], env));
        const differs = DIFFERS_FROM_COMPOSE[name] ?? [];
        const composed = Object.entries(compose.services[name]?.environment ?? {})
          .filter(([variable]) => variable.startsWith('GW_') && known.has(variable) && !differs.includes(variable))
          .map(([variable, value]) => [variable, resolved(value)]);
        const ours = Object.entries(env).filter(([variable]) => !differs.includes(variable));
        expect([name, Object.fromEntries(ours)]).toEqual([name, Object.fromEntries(composed)]);
      }
    });

    it('runs Mosquitto with deploy/mosquitto/mosquitto.conf unchanged, its users file mounted where the config reads it', () => {
      const conf = readFileSync(join(ROOT, 'deploy/mosquitto/mosquitto.conf'), 'utf8');
      const configMap = objects('services').find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('mosquitto-config-'));
      expect(configMap?.data['mosquitto.conf']).toBe(conf);
      const broker = workloads('services').find((o) => o.metadata.name === 'mosquitto')!;
      const container = podSpec(broker).containers[0];
      expect(mountedFile(broker, container, '/mosquitto/config/mosquitto.conf')).toBe(true);
      const usersFile = /^plugin_opt_config_file (\S+)$/m.exec(conf)![1];
      expect(mountedFile(broker, container, usersFile)).toBe(true);
      // The healthcheck's mosquitto_sub options file, as compose's healthcheck reads it.
      expect(mountedFile(broker, container, '/run/secrets/gateway/mosquitto/mosquitto_sub')).toBe(true);
      expect(broker.kind).toBe('StatefulSet');
    });

    it('runs the app service with deploy/app-service/pipelines.yaml unchanged, where GW_APP_SERVICE_PIPELINES_FILE points', () => {
      const configMap = objects('services').find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('app-service-pipelines-'));
      expect(configMap?.data['pipelines.yaml']).toBe(readFileSync(join(ROOT, 'deploy/app-service/pipelines.yaml'), 'utf8'));
      const { object, container } = gatewayContainers('services').find(({ object: o }) => o.metadata.name === 'app-service')!;
      expect(mountedFile(object, container, envOf(container).GW_APP_SERVICE_PIPELINES_FILE)).toBe(true);
    });

    it('runs PostgreSQL as a StatefulSet created with the generated password, the one in the services\' database URLs', () => {
      const postgres = workloads('services').find((o) => o.metadata.name === 'postgres')!;
      expect(postgres.kind).toBe('StatefulSet');
      const container = podSpec(postgres).containers[0];
      expect(mountedFile(postgres, container, envOf(container).POSTGRES_PASSWORD_FILE)).toBe(true);
      const secret = (prefix: string) => objects('services').find((o) => o.kind === 'Secret' && o.metadata.name.startsWith(prefix))!;
      const decode = (value: string) => Buffer.from(value, 'base64').toString('utf8');
      const password = decode(secret('postgres-credentials-').data.password);
      for (const service of ['core-metadata', 'core-data']) {
        const url = new URL(decode(secret(`${service}-credentials-`).data['database.url']));
        expect([service, url.host, decodeURIComponent(url.password)]).toEqual([service, 'postgres:5432', password]);
      }
    });

    it('runs the BLE and ZigBee services only on nodes labelled for their hardware', () => {
      const ble = workloads('services').find((o) => o.metadata.name === 'device-ble')!;
      const zigbee = workloads('services').find((o) => o.metadata.name === 'device-zigbee')!;
      expect([ble.kind, podSpec(ble).nodeSelector, podSpec(ble).hostNetwork, podSpec(ble).dnsPolicy]).toEqual([
        'DaemonSet',
        { 'edge-gateway/bluetooth': 'true' },
        true,
        'ClusterFirstWithHostNet',
      ]);
      expect(podSpec(ble).containers[0].securityContext.capabilities.add).toEqual(['NET_ADMIN', 'NET_RAW']);
      expect([zigbee.kind, podSpec(zigbee).nodeSelector]).toEqual(['DaemonSet', { 'edge-gateway/zigbee': 'true' }]);
      const container = podSpec(zigbee).containers[0];
      const coordinator = podSpec(zigbee).volumes.find((v: any) => v.hostPath?.type === 'CharDevice');
      const mount = container.volumeMounts.find((m: any) => m.name === coordinator?.name);
      expect(mount?.mountPath).toBe(envOf(container).GW_ZIGBEE_SERIAL_PORT);
    });
  });
});
