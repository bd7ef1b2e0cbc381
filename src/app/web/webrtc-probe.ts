/**
 * Whether this browser can open a WebRTC connection at all. A connection
 * needs at least one ICE candidate on each side, and a browser gathers
 * none where the machine has no default route (Chromium, seen in a network
 * namespace without one). A page that cannot gather any does without the
 * WebRTC transport: it neither offers `/webrtc` addresses nor tries them,
 * so it and its contacts go straight to the relayed connection through its
 * node instead of waiting for WebRTC dials that cannot succeed.
 *
 * The probe asks for host candidates only (no STUN server): it learns
 * whether there is a network to use, and tells nobody outside the machine.
 */

/**
 * Longest wait for a first candidate. Host candidates come within a few
 * milliseconds; with no network at all, gathering ends at once with none.
 */
export const ICE_PROBE_TIMEOUT_MS = 2_000;

/** True when the browser gathers at least one ICE candidate for a data channel. Never throws. */
export async function canGatherIceCandidates(timeoutMs: number = ICE_PROBE_TIMEOUT_MS): Promise<boolean> {
  if (typeof RTCPeerConnection !== 'function') return false;
  let connection: RTCPeerConnection | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const pc = new RTCPeerConnection({ iceServers: [] });
    connection = pc;
    const { promise: found, resolve } = Promise.withResolvers<boolean>();
    pc.addEventListener('icecandidate', (event) => {
      // A null candidate (or an empty one) ends the gathering.
      resolve(event.candidate !== null && event.candidate.candidate !== '');
    });
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') resolve(false);
    });
    timer = setTimeout(() => resolve(false), timeoutMs);
    pc.createDataChannel('probe');
    await pc.setLocalDescription(await pc.createOffer());
    return await found;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    connection?.close();
  }
}
