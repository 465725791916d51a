/**
 * The Helm chart's values.schema.json, generated from the bot's own config schema so the two cannot drift:
 * `config` is the configuration (without `journal`, which the chart sets from `journal.*`), and the chart's own
 * values around it. With the SQLite journal (no PostgreSQL secret) there must be one replica and the
 * `Recreate` strategy: two pods on one SQLite file on a PVC would corrupt it. `config.simulated` must be false.
 * A page-key Secret (`pageKey.existingSecret`) needs `config.page.keyFile` pointing at the file the chart mounts.
 */
import { z } from 'zod';
import { configSchema } from './config.js';

export function chartValuesSchema(): Record<string, unknown> {
  const config = z.toJSONSchema(configSchema.omit({ journal: true }), { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as Record<string, unknown>;
  delete config.$schema;
  // A deployed bot never runs on a simulated landscape: `simulated: true` would open approvals outside Slack.
  const props = config.properties as Record<string, Record<string, unknown>>;
  props.simulated = { ...props.simulated, const: false, description: 'must stay false in a deployment (simulated landscapes are for the console and tests)' };
  const str = { type: 'string' };
  const obj = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', properties, required, additionalProperties: false });
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'istio-migrate-bot values',
    ...obj(
      {
        image: obj({ repository: str, tag: str, pullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] } }, ['repository', 'tag']),
        replicaCount: { type: 'integer', minimum: 1 },
        strategy: obj({ type: { enum: ['Recreate', 'RollingUpdate'] } }, ['type']),
        slack: obj({ mode: { enum: ['socket', 'http'] }, existingSecret: { type: 'string', minLength: 1 } }, ['mode', 'existingSecret']),
        landscape: obj({ existingSecret: { type: 'string', minLength: 1 }, mountPath: { type: 'string', pattern: '^/' } }, ['existingSecret', 'mountPath']),
        pageKey: obj({ existingSecret: str, key: { type: 'string', minLength: 1 }, mountPath: { type: 'string', pattern: '^/' } }, ['existingSecret']),
        config,
        journal: obj({ postgres: obj({ existingSecret: str }, ['existingSecret']), sqlite: obj({ size: str, storageClass: str }) }, ['postgres']),
        service: obj({ port: { type: 'integer' }, healthPort: { type: 'integer' } }, ['port', 'healthPort']),
        serviceMonitor: obj({ enabled: { type: 'boolean' }, interval: str }, ['enabled']),
        networkPolicy: obj({ enabled: { type: 'boolean' } }, ['enabled']),
        podDisruptionBudget: obj({ enabled: { type: 'boolean' }, minAvailable: { type: ['integer', 'string'] } }, ['enabled']),
        resources: { type: 'object' },
        terminationGracePeriodSeconds: { type: 'integer', minimum: 1 },
        nodeSelector: { type: 'object' },
        tolerations: { type: 'array' },
        affinity: { type: 'object' },
      },
      ['image', 'replicaCount', 'strategy', 'slack', 'landscape', 'config', 'journal', 'service'],
    ),
    // SQLite journal ⇒ exactly one replica, strategy Recreate.
    if: { properties: { journal: { properties: { postgres: { properties: { existingSecret: { const: '' } } } } } } },
    then: { properties: { replicaCount: { const: 1 }, strategy: { properties: { type: { const: 'Recreate' } } } } },
    // A mounted page key is read only through config.page.keyFile (the chart mounts it at pageKey.mountPath/key).
    allOf: [
      {
        if: { properties: { pageKey: { properties: { existingSecret: { minLength: 1 } }, required: ['existingSecret'] } }, required: ['pageKey'] },
        then: { properties: { config: { properties: { page: { required: ['keyFile'] } }, required: ['page'] } } },
      },
    ],
  };
}
