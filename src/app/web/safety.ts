/**
 * Verification by safety number: the open conversation's number (text and
 * QR code), to compare in person or on a call, and the button that marks
 * the contact verified (or not verified) while it still has the identity
 * whose number was shown.
 */
import type { SottoApi } from '../api.ts';
import { h, nameNode, replaceChildren } from './dom.ts';
import { qrDataUrl } from './identity.ts';

/** Safety-number digits grouped per line. */
const GROUPS_PER_LINE = 4;

/** The panel and how to show or hide it. */
export interface SafetyPanel {
  readonly element: HTMLElement;
  /** Shows the number with `name`, or hides the panel when it shows. */
  toggle(name: string): Promise<void>;
  hide(): void;
}

/** Builds the panel; `changed()` runs once the verified mark was set, `failed(err)` when it could not be. */
export function safetyPanel(api: SottoApi, changed: () => void, failed: (err: unknown) => void): SafetyPanel {
  const element = h('section', { class: 'safety', hidden: true, 'data-testid': 'safety' });
  const hide = (): void => void (element.hidden = true);

  async function toggle(name: string): Promise<void> {
    if (!element.hidden) return hide();
    const line = await api.safetyNumber(name);
    const groups = line.safetyNumber.split(/\s+/);
    const mark = h(
      'button',
      {
        type: 'button',
        'data-testid': 'mark-verified',
        onclick: () => {
          api.setVerified(name, line.peerId, !line.verified).then(() => {
            hide();
            changed();
          }, failed);
        },
      },
      line.verified ? 'Mark as not verified' : 'Numbers match: mark verified',
    );
    replaceChildren(
      element,
      h('p', {}, 'Compare this number with ', nameNode(name), ', in person or on a call. If it matches on both devices, nobody sits between you.'),
      h('code', { class: 'safety-number', 'data-testid': 'safety-number' }, ...groups.flatMap((g, i) => [g, i % GROUPS_PER_LINE === GROUPS_PER_LINE - 1 ? h('br') : ' '])),
      h('img', { class: 'qr', alt: 'QR code of the safety number', src: await qrDataUrl(line.qrPayload) }),
      mark,
    );
    element.hidden = false;
  }

  return { element, toggle, hide };
}
