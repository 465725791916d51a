/** Server-side Tables (`Accept: application/json;as=Table`), as kubectl's default output asks for them. */
import type { ResourceType } from './resources.js';
import { asVersion } from './request.js';
import type { K8sObject } from '../types.js';

function getPath(obj: unknown, jsonPath: string): unknown {
  let cur = obj;
  for (const p of jsonPath.replace(/^\./, '').split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function humanAge(ts: string | undefined): string {
  if (!ts) return '<unknown>';
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 3600 * 3) return `${Math.floor(s / 60)}m`;
  if (s < 86400 * 2) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export const TABLE_CONTENT_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept);
}

export function toTable(t: ResourceType, version: string, items: K8sObject[], listMeta: Record<string, unknown>): unknown {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
      ...t.printerColumns.map((c) => ({ name: c.name, type: c.type === 'date' ? 'date' : c.type, format: '', description: c.name, priority: 0 })),
    ],
    rows: items.map((o) => ({
      cells: [
        o.metadata.name,
        ...t.printerColumns.map((c) => {
          if (c.value) return c.value(o);
          const v = getPath(o, c.jsonPath);
          if (c.type === 'date') return humanAge(v as string | undefined);
          return v ?? null;
        }),
      ],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: asVersion(o, t, version).metadata },
    })),
  };
}
