/**
 * Publishing this node's bundle record in the DHT, and finding a contact's
 * (see ./bundle-record.ts for the record and its validation).
 */
import type { PrekeyBundle } from '../../crypto/bundle.ts';
import { issueBundle } from '../../crypto/prekeys.ts';
import { bundleRecordKey, encodeBundleRecord, validateBundleRecord, type BundleRecord } from './bundle-record.ts';
import { MAILBOX_TIMEOUT_MS } from '../constants.ts';
import type { Core } from '../core/core.ts';

/** Publishes a fresh record of this node's last-resort bundle; resolves to how many peers stored it. */
export async function publishBundle(core: Core): Promise<number> {
  if (!core.network) return 0;
  const { bundle } = issueBundle(core.ctx, core.identity, core.prekeys, { oneTime: false });
  const record = await encodeBundleRecord(core.ctx, core.identity, bundle, core.ctx.now());
  return core.network.putRecord(bundleRecordKey(core.peerId), record, { signal: AbortSignal.timeout(MAILBOX_TIMEOUT_MS) });
}

/** The newest valid bundle record of `peerId` in the DHT, or undefined. */
export async function publishedBundle(core: Core, peerId: string): Promise<PrekeyBundle | undefined> {
  if (!core.network) return undefined;
  const key = bundleRecordKey(peerId);
  let best: BundleRecord | undefined;
  for (const value of await core.network.getRecords(key, { signal: AbortSignal.timeout(MAILBOX_TIMEOUT_MS) })) {
    try {
      const record = await validateBundleRecord(core.ctx, key, value, core.ctx.now());
      if (!best || record.publishedAt > best.publishedAt) best = record;
    } catch {
      // A forged or stale copy: every node refuses it.
    }
  }
  return best?.bundle;
}
