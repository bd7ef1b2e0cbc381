/**
 * What-if for the drain (`--fifo-mailboxes`): mailboxes that hand out a
 * recipient's mail in the order it was deposited, as proposed in
 * docs/SCALING.md, emulated on the simulation's in-process mailboxes without
 * touching src/. Today a mailbox lists mail by item id (the SHA-256 of the
 * sealed item, i.e. in random order), so a long backlog from one sender
 * arrives shuffled and the ratchet can keep only MAX_SKIPPED_KEYS_PER_CHAIN
 * (2,000) skipped keys: most of a 10,000-message backlog cannot be
 * decrypted. The emulation wraps the mailbox store's listMail (sorted by
 * storedAt, from a per-key cache built on first use: one extra scan that a
 * real deposit-order index would not need) and notes acknowledged and new
 * items through the service's acknowledge and deposit methods.
 */
import { toHex } from '../src/crypto/bytes.ts';
import type { Primitives } from '../src/crypto/primitives/types.ts';
import { mailboxKeyHex } from '../src/node/mailbox/keys.ts';
import type { MailboxService } from '../src/node/mailbox/service.ts';
import type { SottoStore } from '../src/node/store/store.ts';

export function emulateFifoMailbox(store: SottoStore, mailbox: MailboxService, primitives: Primitives): void {
  const list = store.listMail.bind(store);
  type Listed = Awaited<ReturnType<SottoStore['listMail']>>;
  const cache = new Map<string, Listed>();
  const deleted = new Set<string>();
  store.listMail = async (key, limit) => {
    let all = cache.get(key);
    if (!all) {
      all = (await list(key, Number.MAX_SAFE_INTEGER)).sort((a, b) => a.held.storedAt - b.held.storedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      cache.set(key, all);
    }
    const out: Listed = [];
    for (const entry of all) {
      if (deleted.has(`${key}:${entry.id}`)) continue;
      out.push(entry);
      if (out.length >= limit) break;
    }
    return out;
  };
  const deposit = mailbox.deposit.bind(mailbox);
  mailbox.deposit = (depositor, mailboxKey, item, pass) => {
    cache.delete(toHex(mailboxKey));
    return deposit(depositor, mailboxKey, item, pass);
  };
  const acknowledge = mailbox.acknowledge.bind(mailbox);
  mailbox.acknowledge = (recipient, ids) => {
    const key = mailboxKeyHex(primitives, recipient);
    for (const id of ids) deleted.add(`${key}:${toHex(id)}`);
    return acknowledge(recipient, ids);
  };
}
