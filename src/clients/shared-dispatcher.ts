/**
 * One keep-alive connection pool per cluster address, TLS settings and client certificate, shared by every
 * KubeClient built from such a kubeconfig (kube-client.ts calls shareDispatcher when it parses one).
 */
import { createHash } from 'node:crypto';
import type https from 'node:https';
import tls from 'node:tls';
import type * as k8s from '@kubernetes/client-node';
import { Agent, type Dispatcher } from 'undici';

/**
 * client-node (2.x) builds a new undici Agent for every request and watch: a new connection pool each time, so
 * every request pays a TCP connect and a TLS handshake with a freshly built SecureContext, and leaves an idle
 * socket behind. In a wave that dominated CPU and memory (bench/wave.bench.ts: 100 runtimes in flight, each with
 * its own KCP client). The dispatcher depends only on the cluster's address and TLS settings and the user's client
 * certificate, so clients with the same ones share one keep-alive pool: every migration's KCP client reuses the
 * KCP connections, and an SKR client its own. Its connections share one SecureContext, built once (node builds one
 * per connection otherwise: parsing the CA, certificate and key each time), and keep no TLS sessions: resuming one
 * cost this client more CPU than a full handshake (bench/cpu-diagnostics.ts, `newTlsResumed` against `newTlsFull`),
 * and a real SKR, the only cluster the bot connects to anew for every runtime, is one pool each, so nothing would
 * be resumed across runtimes anyway. Credentials stay per request
 * (headers), as before. Users with exec or auth-provider credentials (whose TLS identity may change) keep
 * client-node's behaviour.
 *
 * The pools are bounded (least recently used dropped first); a dropped pool finishes what it carries and its idle
 * sockets close by themselves (undici's keep-alive timeout), as every pool client-node made did.
 */
const SHARED_DISPATCHERS = new Map<string, Dispatcher>();
const MAX_SHARED_DISPATCHERS = 256;

function dispatcherKey(kc: k8s.KubeConfig): string | undefined {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (!cluster || user?.exec || user?.authProvider) return undefined;
  let origin: string;
  try {
    origin = new URL(cluster.server).origin;
  } catch {
    return undefined;
  }
  // Hashed: the map never holds a copy of key material.
  return createHash('sha256')
    .update(JSON.stringify([origin, cluster.caData, cluster.caFile, cluster.skipTLSVerify, cluster.tlsServerName, cluster.proxyUrl, user?.certData, user?.certFile, user?.keyData, user?.keyFile]))
    .digest('hex');
}

/** client-node's own (private) dispatcher factory, which applySecurityAuthentication calls for every request. */
interface DispatcherFactory {
  createDispatcher(cluster: k8s.Cluster | null, agentOptions: https.AgentOptions): Dispatcher | undefined;
}

export function shareDispatcher(kc: k8s.KubeConfig): void {
  const key = dispatcherKey(kc);
  if (key === undefined) return;
  const factory = kc as unknown as DispatcherFactory;
  const make = factory.createDispatcher.bind(kc);
  factory.createDispatcher = (cluster, agentOptions) => {
    const kept = SHARED_DISPATCHERS.get(key);
    if (kept) {
      SHARED_DISPATCHERS.delete(key);
      SHARED_DISPATCHERS.set(key, kept);
      return kept;
    }
    const o = kc.createDispatcherOptions(cluster, agentOptions);
    const made = o.type === 'agent' ? new Agent({ connect: { ...o.connect, secureContext: tls.createSecureContext(o.connect), maxCachedSessions: 0 } }) : make(cluster, agentOptions);
    if (!made) return undefined;
    SHARED_DISPATCHERS.set(key, made);
    if (SHARED_DISPATCHERS.size > MAX_SHARED_DISPATCHERS) SHARED_DISPATCHERS.delete(SHARED_DISPATCHERS.keys().next().value!);
    return made;
  };
}
