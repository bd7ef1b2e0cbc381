/**
 * "Add a contact by invite": the invite, an optional name, and what went
 * wrong in words that fit the case (errors matched by `name`, never by
 * text). A name already taken by another contact is said to be taken, with
 * a second button for the one case where the new invite really is that
 * contact's new identity; nothing calls a name clash an identity change.
 *
 * The form never carries a name over to another invite: a contact added
 * clears it, and after a refusal, replacing the invite clears the name
 * (and the message) that went with the old one.
 */
import type { ContactLine, SottoApi } from '../api.ts';
import { terminalLine } from '../terminal-text.ts';
import { h, nameNode, replaceChildren, type Child } from './dom.ts';

/** What a refusal says, and whether replacing the named contact's identity is offered. */
interface Problem {
  readonly text: Child[];
  /** The contact whose identity the invite would replace. */
  readonly replaces?: string;
}

const messageOf = (err: unknown): string => terminalLine(err instanceof Error ? err.message : String(err));

/** What to tell the user about `err` from adding an invite. */
function problemOf(err: unknown): Problem {
  const e = err as { name?: string; contact?: string; existing?: string };
  switch (e.name) {
    case 'ContactIdentityChangedError':
      return {
        text: [
          'You already have a contact named ',
          nameNode(e.contact ?? ''),
          '. If this is someone else, give them another name. Replace only if the invite is from that contact, with a new identity (a new device, or they started again): you will need to compare safety numbers again.',
        ],
        replaces: e.contact ?? '',
      };
    case 'DuplicatePeerError':
      return { text: ['This is already your contact ', nameNode(e.existing ?? ''), '.'] };
    case 'InvalidContactNameError':
      return { text: [`${messageOf(err)}. Use 1 to 64 characters, without invisible or control characters.`] };
    case 'OwnInviteError':
      return { text: ['This invite is your own: paste the one your contact gave you.'] };
    case 'InvalidInviteError':
    case 'InviteSignatureError':
      return { text: [`${messageOf(err)}. Ask for the invite again and paste all of it.`] };
    default:
      return { text: [messageOf(err)] };
  }
}

/** The form, and what it tells the page. */
export interface AddContactForm {
  readonly element: HTMLFormElement;
}

/** Builds the form over `api`; `added(line)` runs once a contact is added. */
export function addContactForm(api: SottoApi, added: (line: ContactLine) => void): AddContactForm {
  const invite = h('textarea', { 'data-testid': 'add-contact-invite', rows: 3, placeholder: 'SOTTO:…', 'aria-label': 'their invite' });
  const name = h('input', { 'data-testid': 'add-contact-name', placeholder: 'name (optional)', 'aria-label': 'name', maxlength: 64 });
  const submit = h('button', { type: 'submit', 'data-testid': 'add-contact-submit' }, 'Add');
  const replace = h('button', { type: 'button', class: 'secondary', 'data-testid': 'add-contact-replace', hidden: true, onclick: () => run(true) }, '');
  const error = h('p', { class: 'error', 'data-testid': 'add-contact-error', role: 'alert' });
  /** The invite that was refused, while the form still shows it. */
  let refused: string | undefined;

  function show(problem: Problem | undefined): void {
    replaceChildren(error, ...(problem?.text ?? []));
    replace.hidden = problem?.replaces === undefined;
    if (problem?.replaces !== undefined) replaceChildren(replace, 'Replace the identity of ', nameNode(problem.replaces));
  }

  function run(acceptNewKey: boolean): void {
    const text = invite.value.trim();
    const chosen = name.value.trim();
    if (text === '') return;
    show(undefined);
    submit.disabled = true;
    api
      .addInvite(text, chosen === '' ? null : chosen, acceptNewKey)
      .then(
        (line) => {
          refused = undefined;
          // Cleared unless the user already typed something else.
          if (invite.value.trim() === text) invite.value = '';
          if (name.value.trim() === chosen) name.value = '';
          added(line);
        },
        (err: unknown) => {
          refused = text;
          show(problemOf(err));
        },
      )
      .finally(() => (submit.disabled = false));
  }

  invite.addEventListener('input', () => {
    if (refused === undefined || invite.value.trim() === refused) return;
    // Another invite: the name and the message were for the refused one.
    refused = undefined;
    name.value = '';
    show(undefined);
  });
  const element = h(
    'form',
    {
      class: 'add',
      onsubmit: (event) => {
        event.preventDefault();
        run(false);
      },
    },
    h('label', {}, 'Add a contact by invite', invite),
    name,
    h('div', { class: 'row' }, submit, replace),
    error,
  );
  return { element };
}
