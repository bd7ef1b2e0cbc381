/**
 * Everything the simulation observes while it runs: messages sent and the
 * 'message' events they caused, senders' 'status' events, custody receipts
 * the mailboxes signed, DHT lookups and dials, churn events. Only observed
 * from outside src/: Messenger events, a wrapper around each node's Network
 * (./instrument.ts) and a look at the transactions each store commits.
 */
import { wallNow } from './clock.ts';

export type Phase = 'build' | 'warm-up' | 'churn' | 'regroup' | 'partition' | 'heal' | 'settle' | 'drain' | 'teardown';

/** Which part of the run a message belongs to. */
export type MessageKind = 'churn' | 'setup' | 'drain';

/** One message sent by the simulation. */
export interface MessageTrack {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly text: string;
  readonly kind: MessageKind;
  /** Wall ms when send() was called. */
  readonly sentAt: number;
  /** 'message' events for this id at the recipient. */
  events: number;
  /** Wall ms of the first such event. */
  deliveredAt?: number;
  /** An event carried another text or came from another sender. */
  wrong: boolean;
  /** Sender's first 'stored' status (held by mailboxes), wall ms, and the count it named. */
  storedAt?: number;
  storedBy?: number;
  /** Sender's 'delivered' status (ack or receipt), wall ms. */
  ackedAt?: number;
}

/** A group message frame a member queued (seen in its group outbox). */
export interface GroupFrameRecord {
  readonly id: string;
  /** The other members' peer ids when it was made. */
  readonly recipients: readonly string[];
  /** The epoch it was sent in. */
  readonly epoch: number;
  /** Wall ms when it was queued. */
  readonly at: number;
}

/** A custody receipt a depositor accepted (seen on its mailbox stream). */
export interface CustodyRecord {
  /** Depositing node (name). */
  readonly depositor: string;
  /** Mailbox peer id. */
  readonly mailbox: string;
  /** The mailbox key, hex. */
  readonly mailboxKey: string;
  /** The sealed item (opened later with the recipient's identity to find its message). */
  readonly item: Uint8Array;
  readonly at: number;
}

export type LookupKind = 'closest-traffic' | 'closest-probe' | 'findpeer-probe';

/** One DHT lookup. */
export interface LookupSample {
  readonly kind: LookupKind;
  readonly phase: Phase;
  readonly ms: number;
  readonly ok: boolean;
  /** Peers returned (closest) or 1/0 (findPeer). */
  readonly found: number;
  /** Closest: mailbox peers among those returned. */
  readonly mailboxes?: number;
  /** Probes: queries the lookup sent (kad-dht SEND_QUERY events). */
  readonly queries?: number;
  /** Nodes online when it ran. */
  readonly online: number;
}

/** One Network.open (dial by peer id + protocol). */
export interface DialSample {
  readonly protocol: string;
  readonly phase: Phase;
  readonly ms: number;
  readonly ok: boolean;
}

export type ChurnKind = 'leave' | 'return' | 'vanish' | 'mailbox-outage' | 'mailbox-back';

export interface ChurnEvent {
  readonly kind: ChurnKind;
  readonly node: string;
  readonly at: number;
}

export class Recorder {
  phase: Phase = 'build';
  readonly messages = new Map<string, MessageTrack>();
  /** 'message' events for ids not (yet) recorded as sent: send() may resolve after the recipient saw the message. */
  private readonly early = new Map<string, { recipient: string; fromName: string | undefined; text: string; at: number }[]>();
  /** SHA-256 (hex) of an outbox envelope → its message id (null for receipts). */
  readonly envelopes = new Map<string, string | null>();
  /** SHA-256 (hex) of a group message frame a member queued → its message id and recipients (the other members' peer ids). */
  readonly groupFrames = new Map<string, GroupFrameRecord>();
  readonly custody: CustodyRecord[] = [];
  readonly lookups: LookupSample[] = [];
  readonly dials: DialSample[] = [];
  readonly churn: ChurnEvent[] = [];
  /** Node name → its time in each phase, for the report. */
  readonly phaseTimes: { phase: Phase; start: number; end?: number }[] = [];
  /** Errors the simulation itself hit (not Sotto failures it measures). */
  readonly errors: string[] = [];
  /** How many nodes are online now (maintained by the network). */
  online = 0;

  setPhase(phase: Phase): void {
    const now = wallNow();
    const last = this.phaseTimes.at(-1);
    if (last && last.end === undefined) last.end = now;
    this.phase = phase;
    this.phaseTimes.push({ phase, start: now });
  }

  endPhases(): void {
    const last = this.phaseTimes.at(-1);
    if (last && last.end === undefined) last.end = wallNow();
  }

  /** 'status' events for ids not (yet) recorded as sent (a batch's first messages may be stored before send() of the last resolves). */
  private readonly earlyStatus = new Map<string, { status: string; reason: string | undefined; at: number }[]>();

  sent(track: Omit<MessageTrack, 'events' | 'wrong'>): void {
    this.messages.set(track.id, { ...track, events: 0, wrong: false });
    for (const e of this.early.get(track.id) ?? []) this.delivered(e.recipient, track.id, e.fromName, e.text, e.at);
    this.early.delete(track.id);
    for (const e of this.earlyStatus.get(track.id) ?? []) this.status(track.id, e.status, e.reason, e.at);
    this.earlyStatus.delete(track.id);
  }

  /** 'message' events whose id the simulation never sent. */
  get unexpectedEvents(): number {
    return [...this.early.values()].reduce((n, list) => n + list.length, 0);
  }

  /** A 'message' event at `recipient` (name) for a message from `fromPeerId`. */
  delivered(recipient: string, id: string, fromName: string | undefined, text: string, at = wallNow()): void {
    const track = this.messages.get(id);
    if (!track) {
      this.early.set(id, [...(this.early.get(id) ?? []), { recipient, fromName, text, at }]);
      return;
    }
    track.events++;
    if (track.deliveredAt === undefined) track.deliveredAt = at;
    if (track.to !== recipient || track.from !== fromName || track.text !== text) track.wrong = true;
  }

  status(id: string, status: string, reason: string | undefined, at = wallNow()): void {
    const track = this.messages.get(id);
    if (!track) {
      this.earlyStatus.set(id, [...(this.earlyStatus.get(id) ?? []), { status, reason, at }]);
      return;
    }
    if (status === 'stored' && track.storedAt === undefined) {
      track.storedAt = at;
      const held = /held by (\d+) mailbox/.exec(reason ?? '');
      if (held) track.storedBy = Number(held[1]);
    } else if (status === 'stored') {
      const held = /held by (\d+) mailbox/.exec(reason ?? '');
      if (held) track.storedBy = Math.max(track.storedBy ?? 0, Number(held[1]));
    }
    if (status === 'delivered' && track.ackedAt === undefined) track.ackedAt = at;
  }

  /** Errors by kind (what, message and the innermost frames in src/): how often, for the report. */
  readonly errorKinds = new Map<string, number>();

  error(what: string, err: unknown): void {
    const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    const line = `${what}: ${text.split('\n')[0]!.slice(0, 200)}`;
    if (this.errors.length < 1000) this.errors.push(line);
    const frames = err instanceof Error ? (err.stack ?? '').split('\n').filter((f) => /\/(src|sim)\//.test(f)).slice(0, 3).map((f) => f.trim().replace(/^at /, '').replace(/\(.*\/((src|sim)\/[^)]*)\)/, '($1)')) : [];
    const kind = frames.length > 0 ? `${line} [${frames.join(' < ')}]` : line;
    this.errorKinds.set(kind, (this.errorKinds.get(kind) ?? 0) + 1);
    this.errorCount++;
  }

  errorCount = 0;

  /** Adds errors a host recorded (its flush) to this recorder's. */
  absorbErrors(kinds: readonly (readonly [string, number])[], errors: readonly string[]): void {
    for (const [kind, n] of kinds) {
      this.errorKinds.set(kind, (this.errorKinds.get(kind) ?? 0) + n);
      this.errorCount += n;
    }
    this.errors.push(...errors);
  }

  /** Work started and not awaited where it starts (a node leaving, a send): its failure is recorded as `what`; {@link settled} waits for all of it. */
  track(work: Promise<unknown>, what: string): void {
    const tracked = work.then(
      () => {},
      (err: unknown) => this.error(what, err),
    );
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  /** Resolves once all work {@link track}ed so far is done. */
  async settled(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  private readonly inFlight = new Set<Promise<void>>();
}
