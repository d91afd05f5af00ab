/**
 * deploy/k8s and docker-compose.yml against the code: every service is deployed with the port,
 * probe paths and env vars its zod env schema defines (nothing unknown, nothing required
 * missing), the gateway finds every subgraph's Service, and compose runs the same image with the
 * same settings. A service with an internal listener is probed and scraped there; subgraphs are
 * reachable only from the gateway (NetworkPolicy; compose: an internal network, nothing
 * published but the gateway) and share its GATEWAY_SECRET from a Secret.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gatewayEnvShape } from '@fitgraph/gateway/env';
import { authEnv, envPrefix, repoRoot, subgraphNames, subgraphServiceEnv, type SubgraphName } from '@fitgraph/platform';
import { loadEnv } from '@fitgraph/service-kit';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { chatEnv } from '../subgraphs/chat/src/env';
import { nutritionEnv } from '../subgraphs/nutrition/src/env';
import { userEnv } from '../subgraphs/user/src/env';
import { workoutEnv } from '../subgraphs/workout/src/env';

type Service = 'gateway' | SubgraphName;
const services: Service[] = ['gateway', ...subgraphNames];

/** What each service's code parses (its env modules); a subgraph's own settings join the common ones. */
type EnvShape = Parameters<typeof loadEnv>[0];
const ownSubgraphEnv: Partial<Record<SubgraphName, EnvShape>> = { user: userEnv, chat: chatEnv, workout: workoutEnv, nutrition: nutritionEnv };
const schemaOf = (service: Service): EnvShape =>
  service === 'gateway' ? { ...gatewayEnvShape, ...authEnv } : { ...subgraphServiceEnv(service), ...authEnv, ...ownSubgraphEnv[service] };
/** Read by the image's start command (Dockerfile), not by a service. */
const imageEnv = new Set(['SERVICE']);
/** Unset, these fall back to embedded or DEV-ONLY defaults that have no place in a deployment. */
const requiredInDeployment = (service: Service) => [
  'NODE_ENV',
  'HOST',
  'REDIS_URL',
  'AUTH_VERIFICATION_KEYS',
  'GATEWAY_SECRET',
  ...(service === 'gateway' ? [] : ['DATABASE_URL']),
  ...(service === 'user' ? ['AUTH_SIGNING_KEY'] : []),
];
const portVariable = (service: Service) => (service === 'gateway' ? 'PORT' : `${envPrefix(service)}_SUBGRAPH_PORT`);
/** The internal listener's port variable, when the service's env schema has one (`/metrics`, detailed `/readyz`). */
const internalPortVariable = (service: Service): string | null => {
  const name = service === 'gateway' ? 'INTERNAL_PORT' : `${envPrefix(service)}_INTERNAL_PORT`;
  return name in schemaOf(service) ? name : null;
};
/** Where each service's code serves its probes: the public ones, and the internal listener's. */
const serverFiles = (service: Service) =>
  service === 'gateway' ? ['gateway/src/server.ts', 'gateway/src/http-pipeline.ts'] : ['packages/platform/src/subgraph/server.ts'];
const serverSource = (service: Service) => serverFiles(service).map((file) => readFileSync(join(repoRoot, file), 'utf8')).join('\n');
const internalServerSource = readFileSync(join(repoRoot, 'packages/service-kit/src/internal-server.ts'), 'utf8');
const serviceSelector = (service: Service) => (service === 'gateway' ? 'gateway' : `${service}-subgraph`);
/** Differ between environments by nature (where the collector is, how many replicas may run). */
const environmentSpecific = new Set(['OTEL_EXPORTER_OTLP_ENDPOINT', 'RATE_LIMIT_REPLICAS']);

// ---------------------------------------------------------------- the manifests

type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; [key: string]: any };
const k8sDir = join(repoRoot, 'deploy/k8s');
const manifestFiles = readdirSync(k8sDir).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml');
const manifests: Manifest[] = manifestFiles.flatMap((file) =>
  parseAllDocuments(readFileSync(join(k8sDir, file), 'utf8')).map((document) => {
    expect(document.errors, file).toEqual([]);
    return document.toJS() as Manifest;
  }),
);
const find = (kind: string, name: string) => manifests.find((m) => m.kind === kind && m.metadata.name === name);
const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, any>; networks: Record<string, any> };
const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');

interface EnvValue {
  value: string;
  secret: boolean;
}

/** A container's env as the kubelet would set it: literals, ConfigMap and Secret keys, envFrom. */
function containerEnv(container: any): Map<string, EnvValue> {
  const env = new Map<string, EnvValue>();
  const configMap = (name: string) => find('ConfigMap', name)?.data as Record<string, string> | undefined;
  const secret = (name: string) => find('Secret', name)?.stringData as Record<string, string> | undefined;
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) {
      const data = configMap(source.configMapRef.name);
      expect(data, `ConfigMap ${source.configMapRef.name}`).toBeDefined();
      for (const [key, value] of Object.entries(data!)) env.set(key, { value: String(value), secret: false });
    } else {
      const data = secret(source.secretRef.name);
      expect(data, `Secret ${source.secretRef.name}`).toBeDefined();
      for (const [key, value] of Object.entries(data!)) env.set(key, { value: String(value), secret: true });
    }
  }
  for (const entry of container.env ?? []) {
    if ('value' in entry) env.set(entry.name, { value: String(entry.value), secret: false });
    else if (entry.valueFrom?.configMapKeyRef) {
      const { name, key } = entry.valueFrom.configMapKeyRef;
      expect(configMap(name)?.[key], `ConfigMap ${name} key ${key}`).toBeDefined();
      env.set(entry.name, { value: String(configMap(name)![key]), secret: false });
    } else if (entry.valueFrom?.secretKeyRef) {
      const { name, key } = entry.valueFrom.secretKeyRef;
      expect(secret(name)?.[key], `Secret ${name} key ${key}`).toBeDefined();
      env.set(entry.name, { value: String(secret(name)![key]), secret: true });
    } else throw new Error(`unsupported env entry ${JSON.stringify(entry)}`);
  }
  return env;
}

/** Compose's `${VAR:-default}` / `${VAR:?error}` as if VAR were unset (required ones get a placeholder). */
const interpolate = (value: string) =>
  value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_all, name: string, kind?: string, rest?: string) =>
    kind === '-' ? (rest ?? '') : kind === '?' ? `<required ${name}, supplied by the operator>` : '',
  );
const composeEnv = (service: string): Map<string, string> =>
  new Map(Object.entries(compose.services[service].environment as Record<string, unknown>).map(([key, value]) => [key, interpolate(String(value))]));

/** Checks `env` against the service's schema: known names, required ones present, values that parse. */
function expectEnvFitsSchema(service: Service, where: string, env: Map<string, string>) {
  const schema = schemaOf(service);
  for (const name of env.keys()) {
    expect(name in schema || imageEnv.has(name), `${where}: ${name} is read by no ${service} env schema`).toBe(true);
  }
  for (const [name, type] of Object.entries(schema)) {
    const required = !(type as unknown as { safeParse(value: unknown): { success: boolean } }).safeParse(undefined).success;
    if (required) expect(env.has(name), `${where}: required ${name} missing`).toBe(true);
  }
  for (const name of requiredInDeployment(service)) expect(env.has(name), `${where}: ${name} must be set in a deployment`).toBe(true);
  expect(env.get('NODE_ENV'), where).toBe('production');
  expect(env.get('HOST'), where).toBe('0.0.0.0');
  expect(env.get('SERVICE'), where).toBe(serviceSelector(service));
  expect(() => loadEnv(schema, Object.fromEntries(env)), where).not.toThrow();
}

const deploymentOf = (service: Service) => {
  const deployment = find('Deployment', service);
  expect(deployment, `Deployment ${service}`).toBeDefined();
  const containers = deployment!.spec.template.spec.containers as any[];
  expect(containers).toHaveLength(1);
  return { deployment: deployment!, container: containers[0] };
};

describe('deploy/k8s', () => {
  it('lists every manifest in its kustomization', () => {
    const kustomization = parse(readFileSync(join(k8sDir, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect([...kustomization.resources].sort()).toEqual([...manifestFiles].sort());
  });

  it('starts the service the Dockerfile knows, by SERVICE', () => {
    expect(dockerfile).toMatch(/\$SERVICE|\$\{SERVICE/);
    // The compiled bundles `pnpm build` writes (scripts/build.ts), run with plain node.
    expect(dockerfile).toContain('RUN pnpm build');
    expect(dockerfile).toContain('exec node gateway/dist/index.js');
    expect(dockerfile).toContain('subgraphs/${SERVICE%-subgraph}/dist/index.js');
  });

  it.each(services)('%s: env vars exist in its zod schema, required ones are set, values parse', (service) => {
    const { container } = deploymentOf(service);
    const env = containerEnv(container);
    expectEnvFitsSchema(service, `k8s ${service}`, new Map([...env].map(([key, { value }]) => [key, value])));
    // Least privilege: only subgraphs get database credentials, only `user` the signing key.
    expect(env.has('DATABASE_URL')).toBe(service !== 'gateway');
    expect(env.has('AUTH_SIGNING_KEY')).toBe(service === 'user');
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'AUTH_VERIFICATION_KEYS', 'AUTH_SIGNING_KEY', 'GATEWAY_SECRET']) {
      if (env.has(name)) expect(env.get(name)!.secret, `${service}: ${name} must come from a Secret`).toBe(true);
    }
  });

  it('gives the gateway and every subgraph the same GATEWAY_SECRET', () => {
    const secrets = new Set(services.map((service) => containerEnv(deploymentOf(service).container).get('GATEWAY_SECRET')?.value));
    expect(secrets.size).toBe(1);
  });

  it.each(services)('%s: ports, Service, probes, scrape, resources, HPA and PodDisruptionBudget agree', (service) => {
    const { deployment, container } = deploymentOf(service);
    const env = containerEnv(container);
    const port = Number(env.get(portVariable(service))!.value);
    const internalVariable = internalPortVariable(service);
    const internalPort = internalVariable ? Number(env.get(internalVariable)?.value) : null;
    if (internalVariable) expect(env.has(internalVariable), `${service}: ${internalVariable} set`).toBe(true);
    expect(container.ports).toEqual([
      { name: 'http', containerPort: port },
      ...(internalPort ? [{ name: 'internal', containerPort: internalPort }] : []),
    ]);
    expect(container.image).toBe(compose.services[service].image);

    // Probes and the scrape hit the endpoints the code serves on that port: the internal listener when there is one.
    const probePort = internalPort ? 'internal' : 'http';
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: probePort });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: probePort });
    expect(container.startupProbe.httpGet).toEqual({ path: '/healthz', port: probePort });
    const source = serverSource(service);
    if (internalPort) {
      expect(source).toContain('startInternalServer(');
      for (const path of ['/readyz', '/healthz', '/metrics']) expect(internalServerSource).toContain(`'${path}'`);
      // The public port keeps the (status-only) probes, and no /metrics.
      for (const path of ['/readyz', '/healthz']) expect(source).toContain(`app.get('${path}'`);
      expect(source).not.toContain(`app.get('/metrics'`);
    } else {
      for (const path of ['/readyz', '/healthz', '/metrics']) expect(source).toContain(`app.get('${path}'`);
    }
    expect(deployment.spec.template.metadata.annotations['prometheus.io/port']).toBe(String(internalPort ?? port));
    expect(deployment.spec.template.metadata.annotations['prometheus.io/path']).toBe('/metrics');

    expect(container.resources.requests.cpu).toBeDefined();
    expect(container.resources.requests.memory).toBeDefined();
    expect(container.resources.limits.memory).toBeDefined();
    // The drain (SHUTDOWN_TIMEOUT_MS) fits in the grace period.
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(Number(env.get('SHUTDOWN_TIMEOUT_MS')!.value));

    const podLabels = deployment.spec.template.metadata.labels as Record<string, string>;
    const selects = (selector: Record<string, string>) => Object.entries(selector).every(([key, value]) => podLabels[key] === value);
    expect(selects(deployment.spec.selector.matchLabels)).toBe(true);

    // The Service carries the public port only: the internal one is for probes and the scrape.
    const kubeService = find('Service', service)!;
    expect(kubeService, `Service ${service}`).toBeDefined();
    expect(selects(kubeService.spec.selector)).toBe(true);
    expect(kubeService.spec.ports).toEqual([{ name: 'http', port, targetPort: 'http' }]);

    const hpa = find('HorizontalPodAutoscaler', service)!;
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: service });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    // Rate limits while Redis is away share each budget among this many replicas: the most the HPA may run.
    expect(Number(env.get('RATE_LIMIT_REPLICAS')?.value), `${service}: RATE_LIMIT_REPLICAS`).toBe(hpa.spec.maxReplicas);
    const pdb = find('PodDisruptionBudget', service)!;
    expect(selects(pdb.spec.selector.matchLabels)).toBe(true);
    expect(pdb.spec.minAvailable).toBeLessThan(hpa.spec.minReplicas);
  });

  it('points the gateway at every subgraph Service, and the connection URLs at the external PostgreSQL and Redis', () => {
    const gatewayEnv = containerEnv(deploymentOf('gateway').container);
    for (const name of subgraphNames) {
      const url = new URL(gatewayEnv.get(`${envPrefix(name)}_SUBGRAPH_URL`)!.value);
      const kubeService = find('Service', url.hostname);
      expect(kubeService, `${name}: Service ${url.hostname}`).toBeDefined();
      expect(Number(url.port)).toBe(kubeService!.spec.ports[0].port);
      expect(url.hostname).toBe(name);
      expect(url.pathname).toBe('/graphql');
    }
    for (const [variable, service, port] of [
      ['DATABASE_URL', 'postgres', 5432],
      ['REDIS_URL', 'redis', 6379],
    ] as const) {
      const url = new URL(containerEnv(deploymentOf('gym').container).get(variable)!.value);
      const external = find('Service', service)!;
      expect(external.spec.type === 'ExternalName' || external.spec.selector === undefined).toBe(true);
      expect(url.hostname).toBe(service);
      expect(Number(url.port)).toBe(port);
      expect(external.spec.ports[0].port).toBe(port);
    }
  });
});

/** What a set of `matchLabels` selects in `labels`. */
const matches = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  Object.entries(selector ?? {}).every(([key, value]) => labels[key] === value);
const podLabelsOf = (service: Service) => deploymentOf(service).deployment.spec.template.metadata.labels as Record<string, string>;

/** Every ingress rule of the NetworkPolicies that select `service`'s pods, as (who, which named port). */
function allowedIngress(service: Service): { from: string; port: string }[] {
  const labels = podLabelsOf(service);
  const policies = manifests.filter((m) => m.kind === 'NetworkPolicy' && matches(m.spec.podSelector.matchLabels, labels));
  return policies.flatMap((policy) =>
    (policy.spec.ingress ?? []).flatMap((rule: any) =>
      (rule.from ?? [{ anyone: true }]).flatMap((peer: any) => {
        const who = peer.namespaceSelector
          ? `namespace:${peer.namespaceSelector.matchLabels?.['kubernetes.io/metadata.name'] ?? '*'}`
          : peer.podSelector
            ? (services.find((other) => matches(peer.podSelector.matchLabels, podLabelsOf(other)) && Object.keys(peer.podSelector.matchLabels ?? {}).length > 0) ?? 'pods:*')
            : 'anyone';
        return (rule.ports ?? [{ port: '*' }]).map((port: any) => ({ from: String(who), port: String(port.port) }));
      }),
    ),
  );
}

describe('deploy/k8s NetworkPolicy', () => {
  it('denies all ingress in the namespace unless a policy allows it', () => {
    const denyAll = manifests.find((m) => m.kind === 'NetworkPolicy' && Object.keys(m.spec.podSelector ?? {}).length === 0);
    expect(denyAll?.spec.policyTypes).toContain('Ingress');
    expect(denyAll?.spec.ingress ?? []).toEqual([]);
  });

  it.each(subgraphNames)('%s: ingress only from the gateway on the public port and from monitoring on the internal port', (service) => {
    expect(allowedIngress(service).sort((a, b) => a.from.localeCompare(b.from))).toEqual([
      { from: 'gateway', port: 'http' },
      { from: 'namespace:monitoring', port: 'internal' },
    ]);
  });

  it('gateway: clients from the ingress controller on its port, the scrape from monitoring on the port it is scraped on', () => {
    const { deployment, container } = deploymentOf('gateway');
    const scraped = (container.ports as { name: string; containerPort: number }[]).find(
      (port) => String(port.containerPort) === deployment.spec.template.metadata.annotations['prometheus.io/port'],
    )!;
    expect(allowedIngress('gateway')).toEqual(
      expect.arrayContaining([
        { from: 'namespace:ingress-nginx', port: 'http' },
        { from: 'namespace:monitoring', port: scraped.name },
      ]),
    );
    expect(allowedIngress('gateway').every((rule) => rule.from.startsWith('namespace:'))).toBe(true);
  });
});

describe('docker-compose.yml', () => {
  it.each(services)('%s: same image, env names, non-secret values, port and readiness probe as deploy/k8s', (service) => {
    const composed = compose.services[service];
    expect(composed, `compose service ${service}`).toBeDefined();
    const env = composeEnv(service);
    expectEnvFitsSchema(service, `compose ${service}`, env);

    const k8s = containerEnv(deploymentOf(service).container);
    expect([...env.keys()].sort()).toEqual([...k8s.keys()].sort());
    for (const [name, { value, secret }] of k8s) {
      if (!secret && !environmentSpecific.has(name)) expect(env.get(name), `${service}: ${name}`).toBe(value);
    }
    const internalVariable = internalPortVariable(service);
    const probePort = env.get(internalVariable ?? portVariable(service))!;
    expect(composed.healthcheck.test.join(' ')).toContain(`http://127.0.0.1:${probePort}/readyz`);
    // Only the gateway is published; every service sits on the internal network, only the gateway also on another.
    const port = env.get(portVariable(service))!;
    if (service === 'gateway') expect(composed.ports).toEqual([`${port}:${port}`]);
    else expect(composed.ports).toBeUndefined();
    expect(composed.expose).toBeUndefined();
    expect(composed.networks).toEqual(service === 'gateway' ? ['backend', 'edge'] : ['backend']);
    expect(composed.depends_on.postgres.condition).toBe('service_healthy');
    expect(composed.depends_on.redis.condition).toBe('service_healthy');
  });

  it('publishes nothing of PostgreSQL and Redis, which sit on the internal network alone', () => {
    expect(compose.networks.backend.internal).toBe(true);
    expect(compose.networks.edge?.internal).not.toBe(true);
    for (const name of ['postgres', 'redis']) {
      expect(compose.services[name].ports, name).toBeUndefined();
      expect(compose.services[name].networks, name).toEqual(['backend']);
    }
    expect(Object.entries(compose.services).filter(([, service]) => service.ports).map(([name]) => name)).toEqual(['gateway']);
  });
});
