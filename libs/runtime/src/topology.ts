import { UsageError } from '@framewatch/errors';
import type { ProcessSpec } from './supervisor';
import { freePort } from './supervisor';

/** Deployments `framewatch serve` can start (DESIGN.md "Topologies"). */
export const Topology = {
  monolith: 'monolith',
  services: 'services',
  servicesS3: 'services-s3',
} as const;

/** One of the {@link Topology} values. */
export type Topology = (typeof Topology)[keyof typeof Topology];

/**
 * Detector groups of the split topologies: each detector process runs a subset, as Prime Video's
 * clones did. `blocks` (the learned macroblocking detector, full-size luma) runs only when the
 * deployment's selection names it.
 */
export const detectorGroups = [
  { name: 'video', detectors: ['black', 'freeze'] },
  { name: 'audio', detectors: ['silence', 'clipping'] },
  { name: 'blocks', detectors: ['macroblocking'] },
] as const;

/** The algorithms that run when a deployment selects none (the learned one is opt-in). */
const defaultSelection: readonly string[] = ['black', 'freeze', 'silence', 'clipping'];

/**
 * The detector groups a split topology starts for a selection (`FRAMEWATCH_DETECTORS`; empty =
 * the default algorithms): each group narrowed to the selected algorithms, empty groups left out.
 *
 * @throws UsageError (code `USAGE`) for a name no group runs.
 */
export function groupsFor(selection: readonly string[] = []): { name: string; detectors: string[] }[] {
  const selected = selection.length > 0 ? selection : defaultSelection;
  const known = detectorGroups.flatMap((g) => [...g.detectors] as string[]);
  const unknown = selected.filter((d) => !known.includes(d));
  if (unknown.length > 0) throw new UsageError(`unknown detector(s) ${unknown.join(', ')}; valid names: ${known.join(', ')}`);
  return detectorGroups
    .map((g) => ({ name: g.name, detectors: g.detectors.filter((d) => selected.includes(d)) }))
    .filter((g) => g.detectors.length > 0);
}

/**
 * V8 settings of every Framewatch process. These processes churn through large, short-lived frame
 * buffers; a 32 MB young generation (the default is 16 MB on 64-bit) halves the scavenges, which
 * `npm run bench:topologies` measured as the largest overhead of the split topologies (the
 * media converter spent 0.36 s of a 60 s job in GC). The Dockerfile starts apps the same way.
 */
export const NODE_ARGS = ['--max-semi-space-size=32'] as const;

/** Settings every process of one topology shares. */
export interface TopologySettings {
  topology: Topology;
  /** The API's port (0 = any free one). */
  port: number;
  dataDir: string;
  jwtSecret: string;
  serviceSecret: string;
  /** The deployment's detector selection (`FRAMEWATCH_DETECTORS`); empty or absent = the defaults. */
  detectors?: readonly string[];
  /** Extra `FRAMEWATCH_*` settings for every process (log level, limits…). */
  common?: Record<string, string>;
}

/** The processes of a topology in start-up waves, and the API's port. */
export interface TopologyPlan {
  waves: ProcessSpec[][];
  apiPort: number;
}

/**
 * Plans a topology: which app bundles run, on which loopback ports, with which settings.
 * `monolith` is one process; `services` is a detector process per group, the aggregator, the
 * media converter (the worker that drives each job) and the API; `services-s3` is the same with
 * frames handed over through the frames store.
 *
 * @example
 * const plan = await planTopology({ topology: 'services', port: 8080, dataDir, jwtSecret, serviceSecret });
 */
export async function planTopology(settings: TopologySettings): Promise<TopologyPlan> {
  const apiPort = settings.port === 0 ? await freePort() : settings.port;
  const shared: Record<string, string> = {
    ...settings.common,
    FRAMEWATCH_DATA_DIR: settings.dataDir,
    FRAMEWATCH_JWT_SECRET: settings.jwtSecret,
    FRAMEWATCH_SERVICE_SECRET: settings.serviceSecret,
    FRAMEWATCH_HOST: '127.0.0.1',
    FRAMEWATCH_TOPOLOGY: settings.topology,
  };
  if (settings.topology === 'monolith') {
    return {
      apiPort,
      waves: [[{ name: 'monolith', app: 'monolith', port: apiPort, nodeArgs: [...NODE_ARGS], env: { ...shared, FRAMEWATCH_PORT: String(apiPort) } }]],
    };
  }
  const handoff = settings.topology === 'services-s3' ? 'local' : 'none';
  const detectors: ProcessSpec[] = [];
  for (const group of groupsFor(settings.detectors)) {
    const port = await freePort();
    detectors.push({
      name: `detector-${group.name}`,
      app: 'detector',
      port,
      env: {
        ...shared,
        FRAMEWATCH_PORT: String(port),
        FRAMEWATCH_DETECTORS: group.detectors.join(','),
        FRAMEWATCH_DETECTOR_GROUP: group.name,
        FRAMEWATCH_FRAME_HANDOFF: handoff,
      },
    });
  }
  const aggregatorPort = await freePort();
  const aggregator: ProcessSpec = { name: 'aggregator', app: 'aggregator', port: aggregatorPort, env: { ...shared, FRAMEWATCH_PORT: String(aggregatorPort) } };
  const converterPort = await freePort();
  const converter: ProcessSpec = {
    name: 'media-converter',
    app: 'media-converter',
    port: converterPort,
    env: {
      ...shared,
      FRAMEWATCH_PORT: String(converterPort),
      FRAMEWATCH_DETECTOR_URLS: detectors.map((d) => `http://127.0.0.1:${d.port}`).join(','),
      FRAMEWATCH_AGGREGATOR_URL: `http://127.0.0.1:${aggregatorPort}`,
      FRAMEWATCH_FRAME_HANDOFF: handoff,
    },
  };
  const api: ProcessSpec = { name: 'api', app: 'api', port: apiPort, env: { ...shared, FRAMEWATCH_PORT: String(apiPort) } };
  const waves = [[...detectors, aggregator], [converter], [api]].map((wave) => wave.map((p) => ({ ...p, nodeArgs: [...NODE_ARGS] })));
  return { apiPort, waves };
}
