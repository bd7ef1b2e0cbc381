/**
 * What the messenger needs from the network, and nothing more: open a framed
 * stream to a peer known by its peer id, accept framed streams on a protocol
 * (with the remote peer id that Noise authenticated), and hear when a peer
 * connects. The libp2p node provides it (./libp2p-network.ts); tests use an
 * in-memory network.
 */

/** A bidirectional stream of length-prefixed frames. */
export interface FramedStream {
  /** The next frame; rejects on timeout, on a frame over the limit, or when the stream ends. */
  read(options?: { signal?: AbortSignal }): Promise<Uint8Array>;
  /** Sends one frame (waits for the transport when it pushes back). */
  write(frame: Uint8Array, options?: { signal?: AbortSignal }): Promise<void>;
  /** Sends several frames in one transport write. */
  writeMany(frames: readonly Uint8Array[], options?: { signal?: AbortSignal }): Promise<void>;
  /** Closes gracefully. */
  close(): Promise<void>;
  /** Closes at once with an error. */
  abort(err: Error): void;
}

/** Handles one inbound stream of `protocol` from `remotePeerId`. */
export type StreamHandler = (stream: FramedStream, remotePeerId: string) => Promise<void>;

/** The network as the messenger sees it. */
export interface Network {
  /** This node's peer id. */
  readonly peerId: string;
  /** Registers the handler of a protocol, with the largest frame it accepts. */
  handle(protocol: string, maxFrameBytes: number, handler: StreamHandler): Promise<void>;
  /** Opens a stream to a peer (existing connection, known addresses, or a DHT lookup). */
  open(peerId: string, protocol: string, maxFrameBytes: number, options: { signal: AbortSignal }): Promise<FramedStream>;
  /**
   * Remembers addresses of a peer (from an invite, or announced by a contact) for later dials; optional
   * (a network without a peer store finds peers by id alone). Only the
   * addresses the contact dial policy admits are kept (docs/PROTOCOL.md §23);
   * the rest are left out without an error. Rejects on a malformed peer id.
   */
  rememberAddresses?(peerId: string, addresses: readonly string[]): Promise<void>;
  /** Where this node listens now (multiaddrs ending in /p2p/<its id>); optional (an in-memory network has no addresses). */
  listenAddresses?(): readonly string[];
  /** Calls `listener` whenever this node's own addresses change; returns an unsubscribe function. Optional. */
  onAddressesChanged?(listener: () => void): () => void;
  /** Calls `listener` whenever a connection to a peer opens; returns an unsubscribe function. */
  onPeerConnected(listener: (peerId: string) => void): () => void;
  /** Up to `count` peers closest to `key` in the DHT, closest first, without this node. */
  closestPeers(key: Uint8Array, count: number, options: { signal: AbortSignal }): Promise<string[]>;
  /** Publishes a DHT record; resolves to how many peers stored it. */
  putRecord(key: Uint8Array, value: Uint8Array, options: { signal: AbortSignal }): Promise<number>;
  /** Every value the DHT returns for `key` (each already checked by the DHT's validator). */
  getRecords(key: Uint8Array, options: { signal: AbortSignal }): Promise<Uint8Array[]>;
}
