/**
 * Fetching this node's mail from its mailboxes (docs/PROTOCOL.md §18): the
 * k closest mailboxes are opened together and drained one after another.
 * Each item is unsealed, decrypted and stored; a batch is made durable by
 * one synced write, then acknowledged to the mailbox that sent it, and the
 * same ids are sent at once to the mailboxes still to come (a sealed item
 * has the same id everywhere), which delete their copies while this node
 * goes on: copies are never downloaded.
 */
import { fromHex, toHex, type Bytes } from '../../crypto/bytes.ts';
import { openSealed } from '../../crypto/sealed.ts';
import { MAILBOX_REPLICAS } from '../constants.ts';
import type { Core } from '../core/core.ts';
import { receiveEnvelopeDetailed } from './inbox.ts';
import { MailProgressTracker } from './mail-progress.ts';
import { acknowledgeOn, BackgroundAcks, fetchAllOn, openClosestMailboxes, openMailbox } from '../mailbox/client.ts';
import type { FramedStream } from '../transport/network.ts';
import { mailboxKeyOf } from '../mailbox/keys.ts';
import { parsePeerId } from '../encoding/peer-id.ts';

const decoder = new TextDecoder();

/** What one fetch did. */
export interface MailFetch {
  /** Items downloaded. */
  readonly received: number;
  /** Mailboxes whose stream opened. */
  readonly mailboxesReached: number;
  /** Their peer ids. */
  readonly mailboxes: readonly string[];
  /** New messages stored, by sender: each is owed a 'delivered' receipt. */
  readonly delivered: ReadonlyMap<string, readonly string[]>;
}

/** The state of one fetch across its mailboxes. */
class Fetch {
  /** Ids (hex) of items handled in this fetch: the same sealed item from another mailbox is a copy. */
  readonly handled = new Set<string>();
  readonly delivered = new Map<string, string[]>();
  /** Claimed sender peer ids, parsed once per fetch (a backlog comes from few senders); undefined when unparsable. */
  private readonly senders = new Map<string, string | undefined>();
  readonly progress: MailProgressTracker;
  received = 0;

  constructor(private readonly core: Core) {
    this.progress = new MailProgressTracker((p) => core.emit('mail-progress', p));
  }

  /** Handles a fetched batch; resolves once it is durable (one synced write for the batch). */
  async batch(items: readonly { id: Bytes; item: Bytes }[], more: boolean): Promise<void> {
    const ids = items.map(({ id }) => toHex(id));
    this.progress.received(ids, more);
    await Promise.all(
      items.map(async ({ item }, i) => {
        await this.item(ids[i]!, item);
        this.progress.handled(ids[i]!);
      }),
    );
    await this.core.store.sync();
  }

  /**
   * Unseals, decrypts and stores one item, noting a new message in
   * `delivered`. Returns quietly for a copy, an item that is not ours or is
   * damaged; throws when the store could not take it (the mailbox keeps it).
   */
  private async item(idHex: string, item: Uint8Array): Promise<void> {
    if (this.handled.has(idHex)) return;
    let opened;
    try {
      opened = await openSealed(this.core.ctx, this.core.identity, item);
    } catch {
      return; // not ours, or damaged: nothing to keep, the mailbox may delete it
    }
    const sender = this.sender(decoder.decode(opened.sender));
    if (sender === undefined) return;
    const result = await receiveEnvelopeDetailed(this.core, sender, opened.envelope, { sync: false, via: 'mailbox' });
    if (result.status === 'retry') throw new Error('could not store fetched mail');
    this.handled.add(idHex);
    // A stranger's messages wait in its request: no receipt tells it they arrived.
    if (result.stored.length === 0 || result.stranger) return;
    const ids = this.delivered.get(sender) ?? [];
    if (ids.length === 0) this.delivered.set(sender, ids);
    for (const message of result.stored) ids.push(message.id);
  }

  private sender(claimed: string): string | undefined {
    if (!this.senders.has(claimed)) {
      let parsed: string | undefined;
      try {
        parsed = parsePeerId(claimed);
      } catch {
        parsed = undefined;
      }
      this.senders.set(claimed, parsed);
    }
    return this.senders.get(claimed);
  }

  /**
   * Drains one mailbox on `stream`; each batch, once durable, is also
   * acknowledged to the mailboxes in `later`. Throws when the stream fails
   * (what was acknowledged is stored; the rest stays on the mailbox).
   */
  async drain(stream: FramedStream, later: readonly BackgroundAcks[]): Promise<void> {
    this.received += await fetchAllOn(stream, async (items, more) => {
      await this.batch(items, more);
      const ids = items.map(({ id }) => id);
      for (const acks of later) acks.send(ids);
    });
  }
}

/**
 * Fetches this node's mail from the k closest mailboxes. A mailbox whose
 * stream fails (while it is told to delete copies, while it waits its turn,
 * or midway) is visited once more on a fresh stream: told again what this
 * fetch handled, then drained.
 */
export async function fetchFromMailboxes(core: Core): Promise<MailFetch> {
  if (!core.network) return { received: 0, mailboxesReached: 0, mailboxes: [], delivered: new Map() };
  const fetch = new Fetch(core);
  const mailboxes = await openClosestMailboxes(core, mailboxKeyOf(core.ctx.primitives, core.peerId), MAILBOX_REPLICAS);
  const acks = mailboxes.map(({ stream }) => new BackgroundAcks(stream));
  try {
    for (const [i, { peerId, stream }] of mailboxes.entries()) {
      const later = acks.slice(i + 1);
      try {
        if (!(await acks[i]!.settled())) throw new Error('the stream failed while copies were deleted');
        await fetch.drain(stream, later);
      } catch {
        // The stream failed (or the mailbox closed it while it waited its turn): once more on a
        // fresh one. If that fails too, what was acknowledged is stored and the rest stays there.
        await drainAgain(core, fetch, peerId, later).catch(() => {});
      }
    }
  } finally {
    await Promise.all(mailboxes.map(({ stream }) => stream.close().catch(() => {})));
    fetch.progress.finish();
  }
  return { received: fetch.received, mailboxesReached: mailboxes.length, mailboxes: mailboxes.map((m) => m.peerId), delivered: fetch.delivered };
}

/** A mailbox whose first stream failed: on a new stream, what this fetch handled is deleted first, then it is drained. */
async function drainAgain(core: Core, fetch: Fetch, peerId: string, later: readonly BackgroundAcks[]): Promise<void> {
  const stream = await openMailbox(core, peerId);
  try {
    await acknowledgeOn(stream, [...fetch.handled].map(fromHex));
    await fetch.drain(stream, later);
  } finally {
    await stream.close().catch(() => {});
  }
}
