/**
 * Files as a node runs them (docs/FILES.md): sends a file (sealed into the
 * store, then a file message), serves what the store holds over
 * `/sotto/file`, and fetches every file a message describes from its
 * holders — the sender, and for a group every member — until it is whole
 * and checked, resuming after a restart or a lost connection. History asks
 * it for a file's state.
 *
 * One fetch per file at a time, at most FILE_MAX_CONCURRENT_FETCHES files
 * at once; a fetch that ends with chunks missing (no holder reachable) waits
 * until a holder connects or FILE_FETCH_RETRY_MS passes.
 */
import type { Bytes } from '../../crypto/bytes.ts';
import { toHex } from '../../crypto/bytes.ts';
import type { CryptoContext } from '../../crypto/context.ts';
import { FILE_FETCH_RETRY_MS, FILE_INLINE_MAX_BYTES, FILE_MAX_CONCURRENT_FETCHES, FILE_PROGRESS_INTERVAL_MS } from '../constants.ts';
import type { Scheduler } from '../core/core.ts';
import { FileQuotaError, UnknownFileError } from '../errors.ts';
import type { GroupService, GroupSendResult } from '../groups/group-service.ts';
import type { Messenger, SendResult } from '../messaging/messenger.ts';
import { descriptorOf, type StoredFile } from '../store/file-record.ts';
import type { FileRecord } from '../store/file-records.ts';
import { Tx, type SottoStore } from '../store/store.ts';
import type { Network } from '../transport/network.ts';
import { inlineFileState } from './message-file-state.ts';
import { descriptorOf as recordDescriptor, type ChunkReader, type SealedFiles } from './sealed-files.ts';
import { fetchFile } from './transfer-client.ts';
import { SentProgress } from './sent-progress.ts';
import { ServedChunks } from './served-chunks.ts';
import { serveFiles, type FileServer } from './transfer-server.ts';
import type { FileAudience, FileDescriptor, FileIdHex, FileState } from './types.ts';

/** Why a file fails when its sender's manifest does not make the file id its message gave. */
export const FILE_SENDER_MISMATCH_REASON = "the sender's file does not match its description (size or id)";

/** What a file service is made of. */
export interface FileServiceInit {
  readonly files: SealedFiles;
  readonly messenger: Messenger;
  /** The home's store (the messages and their file wants). */
  readonly store: SottoStore;
  readonly groups?: GroupService;
  readonly ctx: CryptoContext;
  readonly scheduler: Scheduler;
  /** The running node's network; without one nothing is served or fetched (a command on a home no node runs). */
  readonly network?: Network;
  /** Whether a connection to a peer is open now (the sender's history asks a connected contact how far it fetched; see ./sent-progress.ts). */
  readonly isConnected?: (peerId: string) => boolean;
}

/** A file's state changed (fetched further, complete, failed), for the views. */
export interface FileChange {
  readonly fileId: FileIdHex;
  /** The messages that carry it. */
  readonly messages: readonly string[];
  readonly state: FileState;
  /** With a file just fetched whole: chunks written from each holder (peer id) in the fetch that ended it. */
  readonly holders?: Readonly<Record<string, number>>;
}

/** Where a file to send comes from: a path on disk (a node's home), bytes, or a reader of `size` bytes chunk by chunk (a page's File). */
export type FileSource = { readonly path: string } | { readonly name: string; readonly bytes: Bytes } | { readonly name: string; readonly size: number; readonly read: ChunkReader };

/** A file send: the message's send result, and the file's size. */
export type FileSendResult<R> = R & { readonly size: number; readonly inline: boolean };

/** Whether `peerId` is a current member of group `groupId` in `groups` (SealedFilesInit.isGroupMember: who may fetch a group's files); none without groups. */
export function groupMembership(groups: GroupService | undefined): (groupId: string, peerId: string) => Promise<boolean> {
  return async (groupId, peerId) => groups?.isMember(groupId, peerId) ?? false;
}

/** Runs files for one messenger; see the module comment. */
export class FileService {
  private readonly init: FileServiceInit;
  private server: FileServer | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly listeners = new Set<(change: FileChange) => void>();
  /** Files with a fetch to run (or running), and who may hold them, sender first. */
  private readonly wanted = new Map<FileIdHex, readonly string[]>();
  /** The sender of each group file taken since start (the one whose word a file id is). */
  private readonly senders = new Map<FileIdHex, string>();
  private readonly running = new Map<FileIdHex, AbortController>();
  private readonly waiting = new Map<FileIdHex, unknown>();
  /** Plaintext bytes held of a file being fetched, and when a change was last told. */
  private readonly progress = new Map<FileIdHex, { bytes: number; toldAt: number }>();
  /** Files the store refused to take (quota, a descriptor it refuses): why, until this service stops. */
  private readonly refused = new Map<FileIdHex, string>();
  /** The same by message: the store's error, which a save of the message throws (FileQuotaError says what to do). */
  private readonly refusedMessages = new Map<string, Error>();
  private stopped = false;
  private taking: Promise<void> | undefined;
  private takeAgain = false;
  /** What this node served since it started (`sotto status --json`, "files"). */
  readonly served = new ServedChunks();
  private readonly sentProgress: SentProgress;

  constructor(init: FileServiceInit) {
    this.init = init;
    this.sentProgress = new SentProgress(init);
  }

  /** Serves the store, follows file messages, resumes the incomplete files. Nothing is served or fetched without a network. */
  async start(): Promise<void> {
    const { messenger, network, files, scheduler } = this.init;
    messenger.onFileMessageDeleted((fileId, messageId) => void files.release(fileId, messageId).catch(() => {}));
    if (!network) return;
    this.server = await serveFiles({ network, holdings: files, scheduler, onServed: (id, peerId, index) => this.served.record(id, peerId, index) });
    const take = (): void => void this.takeWants();
    this.unsubscribe.push(
      messenger.on('message', (m) => m.file && take()),
      messenger.on('group-message', (m) => m.file && take()),
      // A stranger's file waits until the user accepts the request.
      messenger.on('request', take),
      network.onPeerConnected((peerId) => this.holderConnected(peerId)),
    );
    for (const record of await files.incomplete()) this.want(record.id, await this.holdersOf(record.audience, []));
    await this.takeWants();
  }

  /**
   * Takes every file message stored and not taken yet (`fwant:` records,
   * written with the message): its file gets a record and a fetch, then the
   * want goes. A stranger's file waits (its request may be accepted); one
   * whose message is gone is dropped. One pass at a time; a pass asked for
   * during one runs after it.
   */
  private takeWants(): Promise<void> {
    if (this.taking) {
      this.takeAgain = true;
      return this.taking;
    }
    this.taking = (async () => {
      do {
        this.takeAgain = false;
        const { store } = this.init;
        for (const want of await store.listFileWants()) {
          if (this.stopped) return;
          const { audience } = want;
          const message = audience.kind === 'contact' ? await store.getMessage(audience.peerId, want.messageId) : await store.getGroupMessage(audience.groupId, want.messageId);
          if (message?.file) {
            if (audience.kind === 'contact' && (await store.getContactByPeer(audience.peerId))?.added !== true) continue;
            // A file over the quota keeps its want: taken again at the next pass or start (the quota may have been raised).
            if ((await this.received(message.file, audience, want.messageId, want.sender)) === 'over quota') continue;
          }
          await store.commit(new Tx().deleteFileWant(want.messageId), { sync: false });
        }
      } while (this.takeAgain && !this.stopped);
    })().finally(() => (this.taking = undefined));
    return this.taking;
  }

  /** Stops fetching and serving (what was written stays; the next start resumes). */
  stop(): void {
    this.stopped = true;
    for (const off of this.unsubscribe.splice(0)) off();
    for (const controller of this.running.values()) controller.abort(new Error('the file service stopped'));
    for (const handle of this.waiting.values()) this.init.scheduler.clearTimeout(handle);
    this.waiting.clear();
    this.server?.stop();
  }

  /** Calls `listener` on every file change; returns an unsubscribe function. */
  onChange(listener: (change: FileChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // Sending.

  private async seal(source: FileSource, audience: FileAudience): Promise<FileDescriptor> {
    const { files } = this.init;
    if ('bytes' in source) return files.importBytes(source.name, source.bytes, audience);
    if ('read' in source) {
      const importReader = (files as SealedFiles & { importReader?: (name: string, size: number, read: ChunkReader, audience: FileAudience) => Promise<FileDescriptor> }).importReader;
      if (!importReader) throw new TypeError('this file store reads no readers');
      return importReader.call(files, source.name, source.size, source.read, audience);
    }
    const importFile = (files as SealedFiles & { importFile?: (path: string, audience: FileAudience) => Promise<FileDescriptor> }).importFile;
    if (!importFile) throw new TypeError('this file store reads no paths');
    return importFile.call(files, source.path, audience);
  }

  /** Seals `source` and sends it to contact `name` (see Messenger.sendFile). Throws what the store and the messenger throw; a file sealed for a message that could not be made is deleted. */
  async sendFile(name: string, source: FileSource, options: { waitMs?: number } = {}): Promise<FileSendResult<SendResult>> {
    const contact = await this.init.messenger.contact(name);
    const descriptor = await this.seal(source, { kind: 'contact', peerId: contact.peerId });
    const result = await this.sent(descriptor, () => this.init.messenger.sendFile(name, descriptor, options));
    return { ...result, size: descriptor.size, inline: descriptor.inline.length > 0 };
  }

  /** Seals `source` and sends it to group `name` (see GroupService.sendFile). */
  async sendGroupFile(name: string, source: FileSource, options: { waitMs?: number } = {}): Promise<FileSendResult<GroupSendResult>> {
    const groups = this.requireGroups();
    const group = groups.group(name);
    const descriptor = await this.seal(source, { kind: 'group', groupId: group.id });
    const result = await this.sent(descriptor, () => groups.sendFile(name, descriptor, options));
    return { ...result, size: descriptor.size, inline: descriptor.inline.length > 0 };
  }

  private async sent<R extends { readonly id: string }>(descriptor: FileDescriptor, send: () => Promise<R>): Promise<R> {
    const id = toHex(descriptor.fileId);
    let result: R;
    try {
      result = await send();
    } catch (err) {
      const record = await this.init.files.record(id);
      if (record && record.messages.length === 0) await this.init.files.delete(id).catch(() => {});
      throw err;
    }
    await this.init.files.attach(id, result.id);
    return result;
  }

  private requireGroups(): GroupService {
    if (!this.init.groups) throw new TypeError('no group service');
    return this.init.groups;
  }

  // Reading.

  /** The state history shows for the file of message `messageId` (see FileStateLookup). */
  readonly fileState = async (messageId: string, file: StoredFile): Promise<FileState> => {
    const refused = this.refused.get(file.fileId);
    if (refused !== undefined) return { state: 'failed', reason: refused };
    const record = await this.init.files.record(file.fileId);
    if (!record || !record.messages.includes(messageId)) return inlineFileState(messageId, file);
    if (record.origin === 'sent') return this.sentProgress.state(record);
    return (await this.init.files.state(file.fileId)) ?? inlineFileState(messageId, file);
  };

  /** The file record message `messageId` carries. Throws UnknownFileError, or the store's error for a file it refused (FileQuotaError …). */
  async fileOf(messageId: string): Promise<FileRecord> {
    const refused = this.refusedMessages.get(messageId);
    if (refused) throw refused;
    for (const record of await this.init.files.list()) if (record.messages.includes(messageId)) return record;
    throw new UnknownFileError(messageId);
  }

  // Receiving.

  /** Gives a received file its record and a fetch; 'over quota' when the store refused it for the quota (it shows failed meanwhile). */
  private async received(file: StoredFile, audience: FileAudience, messageId: string, sender: string): Promise<'taken' | 'over quota'> {
    const { files } = this.init;
    const descriptor = descriptorOf(file);
    try {
      if (descriptor.inline.length > 0) {
        this.tell(file.fileId, await files.storeInline(descriptor, audience, messageId));
        return 'taken';
      }
      if (descriptor.size <= FILE_INLINE_MAX_BYTES) throw new RangeError('a small file without its chunk');
      await files.target(descriptor, audience, messageId);
      const state = await files.state(file.fileId);
      if (state?.state === 'complete') return 'taken';
      this.refused.delete(file.fileId);
      this.refusedMessages.delete(messageId);
      this.senders.set(file.fileId, sender);
      this.want(file.fileId, await this.holdersOf(audience, [sender]));
      return 'taken';
    } catch (err) {
      // A quota or a descriptor the store refuses: the message stays, its file shows failed.
      const reason = err instanceof Error ? err.message : String(err);
      const again = this.refused.get(file.fileId) === reason;
      this.refused.set(file.fileId, reason);
      if (err instanceof Error) this.refusedMessages.set(messageId, err);
      if (!again) this.tell(file.fileId, { state: 'failed', reason });
      return err instanceof FileQuotaError ? 'over quota' : 'taken';
    }
  }

  /** Who may hold a file: `first`, then the contact of a 1:1 file or every other member of its group. */
  private async holdersOf(audience: FileAudience, first: readonly string[]): Promise<string[]> {
    const self = this.init.messenger.peerId;
    const others = audience.kind === 'contact' ? [audience.peerId] : ((await this.init.groups?.list()) ?? []).find((g) => g.id === audience.groupId)?.members.map((m) => m.peerId) ?? [];
    return [...new Set([...first, ...others])].filter((p) => p !== self);
  }

  private want(id: FileIdHex, holders: readonly string[]): void {
    if (this.stopped) return;
    const before = this.wanted.get(id) ?? [];
    this.wanted.set(id, [...new Set([...before, ...holders])]);
    this.pump();
  }

  private holderConnected(peerId: string): void {
    for (const [id, holders] of this.wanted) {
      if (!this.running.has(id) && holders.includes(peerId)) this.wake(id);
    }
  }

  private wake(id: FileIdHex): void {
    const handle = this.waiting.get(id);
    if (handle !== undefined) this.init.scheduler.clearTimeout(handle);
    this.waiting.delete(id);
    this.pump();
  }

  /** Starts fetches for wanted files not waiting, up to the limit. */
  private pump(): void {
    for (const id of this.wanted.keys()) {
      if (this.running.size >= FILE_MAX_CONCURRENT_FETCHES || this.stopped) return;
      if (this.running.has(id) || this.waiting.has(id)) continue;
      const controller = new AbortController();
      this.running.set(id, controller);
      void this.fetch(id, controller.signal).finally(() => {
        this.running.delete(id);
        this.pump();
      });
    }
  }

  private async fetch(id: FileIdHex, signal: AbortSignal): Promise<void> {
    const { files, network, ctx, scheduler } = this.init;
    const holders = this.wanted.get(id) ?? [];
    try {
      const record = await files.record(id);
      if (!record || record.state !== 'incomplete') {
        this.wanted.delete(id);
        return;
      }
      const target = await files.target(recordDescriptor(record), record.audience, record.messages[0] ?? '');
      const summary = await fetchFile({
        network: network!,
        target,
        holders,
        primitives: ctx.primitives,
        signal,
        onProgress: (p) => this.moved(id, p.bytesHeld),
      });
      if (summary.complete) {
        this.wanted.delete(id);
        this.progress.delete(id);
        const from = Object.fromEntries(summary.holders.filter((h) => h.chunks > 0).map((h) => [h.peerId, h.chunks]));
        this.tell(id, await files.verify(id), from);
        return;
      }
      // The manifest its sender serves does not make the file id it described (a lying size or id): no one can ever give this file.
      const sender = record.audience.kind === 'contact' ? record.audience.peerId : this.senders.get(id);
      if (!(await target.manifest()) && summary.holders.some((h) => h.peerId === sender && h.outcome === 'bad data')) {
        this.wanted.delete(id);
        this.tell(id, await files.fail(id, FILE_SENDER_MISMATCH_REASON));
        return;
      }
    } catch (err) {
      if (signal.aborted) return;
      // A full disk or quota: the file shows failed with why; it is tried again with the others.
      this.tell(id, { state: 'failed', reason: err instanceof Error ? err.message : String(err) });
    }
    if (this.stopped) return;
    this.waiting.set(
      id,
      scheduler.setTimeout(() => this.wake(id), FILE_FETCH_RETRY_MS),
    );
  }

  private moved(id: FileIdHex, bytes: number): void {
    const now = this.init.ctx.now();
    const last = this.progress.get(id);
    if (last && now - last.toldAt < FILE_PROGRESS_INTERVAL_MS) {
      last.bytes = bytes;
      return;
    }
    this.progress.set(id, { bytes, toldAt: now });
    this.tell(id, { state: 'partial', received: bytes });
  }

  private tell(id: FileIdHex, state: FileState, holders?: Record<string, number>): void {
    void this.init.files.record(id).then((record) => {
      const change: FileChange = { fileId: id, messages: record?.messages ?? [], state, ...(holders ? { holders } : {}) };
      for (const listener of this.listeners) listener(change);
    });
  }
}
