/**
 * "You": this identity's name, peer id and invite (text and QR code), with
 * a "Copy invite" button that says whether it worked: "Copied" for a
 * moment, or, where the page may not write the clipboard, how to copy the
 * (then selected) text by hand. An invite with no address (the page is not
 * connected to its node, so it holds no relay slot) comes with a warning
 * that says what to do, and is not copied.
 */
import QRCode from 'qrcode';
import type { SottoApi } from '../api.ts';
import { h, nameNode } from './dom.ts';

/** How long "Copied" stays on the button (ms): long enough to be read, short enough to copy again. */
const COPIED_FEEDBACK_MS = 2_000;

/** A QR code of `text` as an SVG data: URL. */
export async function qrDataUrl(text: string): Promise<string> {
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'L', margin: 1 });
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

/** The panel, and how to keep it current. */
export interface IdentityPanel {
  readonly element: HTMLDetailsElement;
  /** Makes the invite again when the node's addresses changed. */
  redrawInvite(): Promise<void>;
  /** Folds the panel, once (when there are contacts: the invite is what a new person needs, not a returning one). */
  fold(): void;
}

/** Builds the panel of the identity `profileName` / `peerId`. */
export function identityPanel(api: SottoApi, profileName: string, peerId: string): IdentityPanel {
  let lastInvite = '';
  let folded = false;
  let feedbackTimer: ReturnType<typeof setTimeout> | undefined;
  const invite = h('textarea', { class: 'invite', 'data-testid': 'invite', readonly: true, rows: 4, 'aria-label': 'your invite' });
  const qr = h('img', { class: 'qr', 'data-testid': 'invite-qr', alt: 'QR code of your invite' });
  const feedback = h('span', { class: 'copy-feedback', 'data-testid': 'copy-feedback', role: 'status' });
  const copy = h('button', { type: 'button', class: 'secondary', 'data-testid': 'copy-invite', onclick: () => void copyInvite() }, 'Copy invite');
  const noAddress = h(
    'p',
    { class: 'warning', role: 'alert', 'data-testid': 'invite-warning', hidden: true },
    'This invite has no address yet: whoever adds it cannot reach you until this page is connected to your node. Keep your node running (sotto start --web) and this page open; once the page says "online", copy the invite again.',
  );

  function say(text: string, ok: boolean): void {
    feedback.textContent = text;
    feedback.dataset['ok'] = String(ok);
    clearTimeout(feedbackTimer);
    if (ok) feedbackTimer = setTimeout(() => (feedback.textContent = ''), COPIED_FEEDBACK_MS);
  }

  async function copyInvite(): Promise<void> {
    if (invite.value === '') return say('No invite yet: wait until the page is online.', false);
    if (!noAddress.hidden) return say('Not copied: the invite has no address yet (see above).', false);
    try {
      // Absent outside secure contexts; rejects when the page may not write the clipboard.
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(invite.value);
      say('Copied', true);
    } catch {
      invite.focus();
      invite.select();
      say('This page may not copy: the invite is selected, copy it with Ctrl+C (⌘C).', false);
    }
  }

  const element = h(
    'details',
    { class: 'identity', open: true, 'data-testid': 'identity' },
    h('summary', {}, 'You: ', h('strong', {}, nameNode(profileName))),
    h('p', { class: 'label' }, 'Peer id'),
    h('code', { class: 'peer-id', 'data-testid': 'peer-id' }, peerId),
    h('p', { class: 'label' }, 'Invite: give it to a contact'),
    invite,
    noAddress,
    h('div', { class: 'row' }, copy, feedback),
    qr,
  );

  async function redrawInvite(): Promise<void> {
    const line = await api.invite(null);
    if (line.invite === lastInvite) return;
    lastInvite = line.invite;
    invite.value = line.invite;
    invite.dataset['addresses'] = String(line.addresses.length);
    noAddress.hidden = line.addresses.length > 0;
    qr.src = await qrDataUrl(line.invite);
  }

  function fold(): void {
    if (folded) return;
    folded = true;
    element.open = false;
  }

  return { element, redrawInvite, fold };
}
