/**
 * The page's entry: the edge where the wall clock is read. It picks the
 * profile (`?profile=NAME`, default "default": one identity per profile and
 * origin), reads where the node is (/config.json), asks for the passphrase
 * (and a name, the first time), then opens the peer and mounts the chat.
 */
import './style.css';
import { h, replaceChildren } from './dom.ts';
import { fetchPageConfig, lockProfile, MIN_PASSPHRASE_LENGTH, openBrowserPeer, profileState, WeakWebPassphraseError, type BrowserPeer } from './peer.ts';
import { mountChat } from './ui.ts';

const PROFILE_PATTERN = /^[a-z0-9-]{1,32}$/;
const DEFAULT_PROFILE = 'default';

function profileFromUrl(): string {
  const wanted = new URLSearchParams(location.search).get('profile') ?? DEFAULT_PROFILE;
  return PROFILE_PATTERN.test(wanted) ? wanted : DEFAULT_PROFILE;
}

function fail(root: HTMLElement, message: string): void {
  replaceChildren(root, h('div', { class: 'card' }, h('h1', {}, 'Sotto'), h('p', { class: 'error', role: 'alert', 'data-testid': 'fatal-error' }, message)));
}

/** Shown while another tab runs the profile: this one opens by itself once that one is closed. */
function waitForOtherTab(root: HTMLElement, profile: string): void {
  replaceChildren(
    root,
    h(
      'div',
      { class: 'card', 'data-testid': 'profile-busy' },
      h('h1', {}, 'Sotto'),
      h('p', { role: 'status' }, `The profile “${profile}” is open in another tab. One identity runs in one tab at a time: close the other tab and this one opens here by itself.`),
    ),
  );
}

async function unlock(root: HTMLElement, profile: string, firstRun: boolean, problem: string): Promise<{ passphrase: string; name?: string }> {
  const { promise, resolve } = Promise.withResolvers<{ passphrase: string; name?: string }>();
  const name = h('input', { 'data-testid': 'setup-name', autocomplete: 'nickname', maxlength: 64, required: true, 'aria-label': 'your name' });
  const passphrase = h('input', { type: 'password', 'data-testid': 'passphrase', autocomplete: firstRun ? 'new-password' : 'current-password', required: true, 'aria-label': 'passphrase' });
  const confirm = h('input', { type: 'password', 'data-testid': 'passphrase-confirm', autocomplete: 'new-password', required: true, 'aria-label': 'passphrase again' });
  const error = h('p', { class: 'error', role: 'alert', 'data-testid': 'unlock-error' }, problem);
  const submit = h('button', { type: 'submit', 'data-testid': 'unlock-submit' }, firstRun ? 'Create my identity' : 'Unlock');
  const form = h(
    'form',
    {
      class: 'card',
      onsubmit: (event) => {
        event.preventDefault();
        error.textContent = '';
        if (firstRun && passphrase.value.length < MIN_PASSPHRASE_LENGTH) error.textContent = new WeakWebPassphraseError('short').message;
        else if (firstRun && passphrase.value !== confirm.value) error.textContent = new WeakWebPassphraseError('mismatch').message;
        else if (firstRun && name.value.trim() === '') error.textContent = 'give a name your contacts will see';
        else {
          submit.disabled = true;
          submit.textContent = 'Opening…';
          resolve({ passphrase: passphrase.value, ...(firstRun ? { name: name.value.trim() } : {}) });
        }
      },
    },
    h('h1', {}, 'Sotto'),
    firstRun
      ? h('p', {}, 'A new identity will be created in this browser. Its keys and messages stay here, encrypted with your passphrase. A forgotten passphrase cannot be recovered.')
      : h('p', {}, `Unlock the identity of profile “${profile}”.`),
    firstRun ? h('label', {}, 'Your name', name) : null,
    h('label', {}, 'Passphrase', passphrase),
    firstRun ? h('label', {}, 'Passphrase again', confirm) : null,
    submit,
    error,
  );
  replaceChildren(root, form);
  (firstRun ? name : passphrase).focus();
  return promise;
}

async function main(): Promise<void> {
  const root = document.getElementById('app');
  if (!root) return;
  const profile = profileFromUrl();
  await lockProfile(profile, () => waitForOtherTab(root, profile));
  let config;
  try {
    config = await fetchPageConfig();
  } catch (err) {
    fail(root, `${err instanceof Error ? err.message : String(err)}. Open the address "sotto start --web" printed.`);
    return;
  }
  const { initialised } = await profileState(profile);
  let peer: BrowserPeer | undefined;
  let problem = '';
  while (!peer) {
    const answer = await unlock(root, profile, !initialised, problem);
    try {
      peer = await openBrowserPeer({ profile, passphrase: answer.passphrase, ...(answer.name ? { create: { name: answer.name } } : {}), config, now: () => Date.now() });
    } catch (err) {
      problem = err instanceof Error && err.name === 'WrongPassphraseError' ? 'Wrong passphrase.' : err instanceof Error ? err.message : String(err);
    }
  }
  const { name } = await peer.messenger.profile();
  const running = peer;
  const unmount = mountChat(root, running, name);
  addEventListener('pagehide', () => {
    unmount();
    void running.stop();
  });
}

void main();
