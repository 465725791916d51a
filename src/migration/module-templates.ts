/**
 * Which Istio ModuleTemplate Lifecycle Manager would use for a channel, on either generation of LM — the one the
 * rollout ran on (2023) and today's. Preflight asks it of the KCP (`kcp-system`), the migration of the SKR's
 * synced catalog (`kyma-system`). Pure: the callers read the objects.
 *
 * - **release meta** (today's LM): the ModuleReleaseMeta named after the module maps each channel to a version
 *   (lifecycle-manager `pkg/templatelookup/modulereleasemeta.go` GetModuleReleaseMeta, GetChannelVersionForModule:
 *   "no versions found for channel"), and the template is the one named `<module>-<version>`
 *   (`pkg/templatelookup/moduletemplateinfolookup/common.go` getTemplateByVersion,
 *   `api/v1beta2/moduletemplate_types.go` CreateModuleTemplateName). `spec.channel` is deprecated there.
 * - **channel templates** (2023, lifecycle-manager@a513e7ad `pkg/channel/lookup.go`): exactly one template of the
 *   module whose `spec.channel` is the channel ("no templates were found" / "no unique template could be identified").
 *
 * The release meta is used when the ModuleReleaseMeta `istio` exists (its CRD is served and the object is there);
 * otherwise the channel templates.
 */
import type { KubeObject } from '../clients/kube-client.js';

export type CatalogKind = 'release-meta' | 'channel-templates';

export interface ChannelTemplate {
  channel: string;
  /** `metadata.name` of the template (`istio-regular`, `istio-1.29.0`). */
  name: string;
  version: string;
}

export interface IstioCatalog {
  kind: CatalogKind;
  /** The template each channel resolves to (only the channels that resolve). */
  templates: ChannelTemplate[];
  /** Why a channel does not resolve, in LM's terms. */
  problems: string[];
}

interface TemplateSpec {
  channel?: string;
  version?: string;
  data?: { kind?: string; metadata?: { name?: string; namespace?: string } };
}

const specOf = (t: KubeObject): TemplateSpec => (t.spec ?? {});

/** A template whose default CR is an Istio (the script's test, `spec.data.kind == "Istio"`). */
export function isIstioTemplate(t: KubeObject): boolean {
  return specOf(t).data?.kind === 'Istio';
}

/**
 * Why a template's default CR is not the Istio CR LM and the migration expect, `kyma-system/default` (DOMAIN.md §9.2:
 * another name would make LM create a second Istio CR beside `default`, which the operator never reconciles), or null.
 */
export function defaultCrProblem(t: KubeObject, where: string): string | null {
  const m = specOf(t).data?.metadata;
  const at = `${m?.namespace ?? '(no namespace)'}/${m?.name ?? '(no name)'}`;
  return m?.name === 'default' && m.namespace === 'kyma-system' ? null : `ModuleTemplate ${where}/${t.metadata.name} has the default Istio CR ${at}, not kyma-system/default: LM would create a second Istio CR`;
}

/** A template of today's shape: no channel of its own (it is reached through a ModuleReleaseMeta). */
export function isVersionedTemplate(t: KubeObject): boolean {
  return !specOf(t).channel;
}

function versionOf(t: KubeObject): string {
  return specOf(t).version || t.metadata.annotations?.['operator.kyma-project.io/module-version'] || 'unknown';
}

/** The ModuleReleaseMeta LM reads for istio: the one named `istio`. */
export function istioReleaseMeta(metas: KubeObject[] | undefined): KubeObject | undefined {
  return metas?.find((m) => m.metadata.name === 'istio');
}

/**
 * Resolves each channel. `releaseMetas` is undefined when the cluster does not serve ModuleReleaseMetas (a 2023
 * KCP); `where` names the namespace for the messages.
 */
export function resolveIstioTemplates(templates: KubeObject[], releaseMetas: KubeObject[] | undefined, channels: readonly string[], where: string): IstioCatalog {
  const istio = templates.filter(isIstioTemplate);
  const mrm = istioReleaseMeta(releaseMetas);
  const found: ChannelTemplate[] = [];
  const problems: string[] = [];
  if (mrm) {
    const assignments = ((mrm.spec ?? {}) as { channels?: { channel?: string; version?: string }[] }).channels ?? [];
    for (const channel of channels) {
      const version = assignments.find((a) => a.channel === channel)?.version;
      if (!version) {
        problems.push(`ModuleReleaseMeta ${where}/istio has no version for channel ${channel} (LM: "no versions found for channel")`);
        continue;
      }
      const name = `istio-${version}`;
      const t = templates.find((x) => x.metadata.name === name);
      if (!t) problems.push(`ModuleReleaseMeta ${where}/istio assigns ${version} to channel ${channel}, but there is no ModuleTemplate ${where}/${name}`);
      else if (!isIstioTemplate(t)) problems.push(`ModuleTemplate ${where}/${name} has no Istio default CR (spec.data.kind is not Istio)`);
      else if (defaultCrProblem(t, where)) problems.push(defaultCrProblem(t, where)!);
      else found.push({ channel, name, version });
    }
    return { kind: 'release-meta', templates: found, problems };
  }
  for (const channel of channels) {
    const inChannel = istio.filter((t) => specOf(t).channel === channel);
    if (inChannel.length === 0) {
      problems.push(
        `no Istio ModuleTemplate for channel ${channel} in ${where} (LM would answer "no templates were found")${releaseMetas ? ', and no ModuleReleaseMeta istio' : ''}`,
      );
    } else if (inChannel.length > 1) problems.push(`${inChannel.length} Istio ModuleTemplates for channel ${channel} in ${where} (${inChannel.map((t) => t.metadata.name).join(', ')}): LM cannot pick one`);
    else if (defaultCrProblem(inChannel[0], where)) problems.push(defaultCrProblem(inChannel[0], where)!);
    else found.push({ channel, name: inChannel[0].metadata.name, version: versionOf(inChannel[0]) });
  }
  return { kind: 'channel-templates', templates: found, problems };
}
