/**
 * Contact names: what a name may contain, and which names look alike.
 *
 * A name is a claim anyone can make (an invite carries the name its author
 * chose), and the name is what a person reads in every list. So a name is
 * stored in NFC, and it may not hold anything that hides or rearranges what
 * is shown: no control characters, no bidirectional controls, no invisible
 * characters, and never a peer id. The exact rules are in docs/PROTOCOL.md
 * §23 ("Names"). A name may still look like another contact's ("аlice" with a
 * Cyrillic а): {@link lookalikes} finds those, by UTS #39 skeleton, so every
 * view can say so.
 */
import { MAX_CONTACT_NAME_LENGTH } from '../constants.ts';
import { InvalidContactNameError } from '../errors.ts';
import { isPeerId } from '../encoding/peer-id.ts';
import { skeleton } from './skeleton.ts';

/** C0 and C1 controls, DEL, and the line and paragraph separators. */
const CONTROL = /[\p{Cc}\p{Zl}\p{Zp}]/u;
/** Bidirectional controls: embeddings, overrides, isolates and marks. */
const BIDI_CONTROL = /\p{Bidi_Control}/u;
/** Format characters (zero-width spaces and joiners, word joiner, BOM, …) and everything else a renderer draws as nothing. */
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u;
/** White space at either end. */
const SURROUNDING_SPACE = /^\p{White_Space}|\p{White_Space}$/u;

/**
 * Checks a contact name and returns it in NFC, the form to store and show.
 * In this order: well-formed UTF-16 (no lone surrogate), then on the NFC
 * form: 1 to MAX_CONTACT_NAME_LENGTH UTF-16 code units; no C0/C1 control,
 * DEL, U+2028 or U+2029; no Bidi_Control; no other format character (Cf) or
 * Default_Ignorable_Code_Point; no White_Space at either end; not the text
 * of a peer id. Throws {@link InvalidContactNameError} with the first rule
 * broken (`kind`).
 */
export function checkContactName(name: string): string {
  if (!name.isWellFormed()) throw new InvalidContactNameError(name, 'malformed', 'it is not well-formed Unicode');
  const nfc = name.normalize('NFC');
  if (nfc.length === 0) throw new InvalidContactNameError(nfc, 'empty', 'it is empty');
  if (nfc.length > MAX_CONTACT_NAME_LENGTH) throw new InvalidContactNameError(nfc, 'too-long', `it is longer than ${MAX_CONTACT_NAME_LENGTH} characters`);
  if (CONTROL.test(nfc)) throw new InvalidContactNameError(nfc, 'control', 'it contains control characters or line breaks');
  if (BIDI_CONTROL.test(nfc)) throw new InvalidContactNameError(nfc, 'bidi', 'it contains bidirectional controls');
  if (INVISIBLE.test(nfc)) throw new InvalidContactNameError(nfc, 'invisible', 'it contains invisible characters');
  if (SURROUNDING_SPACE.test(nfc)) throw new InvalidContactNameError(nfc, 'spaces', 'it starts or ends with a space');
  if (isPeerId(nfc)) throw new InvalidContactNameError(nfc, 'peer-id', 'it is a peer id');
  return nfc;
}

/**
 * The rules names were written under before checkContactName: 1 to
 * MAX_CONTACT_NAME_LENGTH code units, no C0 control or DEL, no space at
 * either end. A home may hold such names (and the peer-id names of peers
 * that wrote before they were added), so a backup of it restores them;
 * new names go through checkContactName. Throws InvalidContactNameError.
 */
export function checkStoredContactName(name: string): void {
  if (name.length === 0) throw new InvalidContactNameError(name, 'empty', 'it is empty');
  if (name.length > MAX_CONTACT_NAME_LENGTH) throw new InvalidContactNameError(name, 'too-long', `it is longer than ${MAX_CONTACT_NAME_LENGTH} characters`);
  if (name.trim() !== name) throw new InvalidContactNameError(name, 'spaces', 'it starts or ends with a space');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new InvalidContactNameError(name, 'control', 'it contains control characters');
}

/**
 * What two names that look alike share: the UTS #39 skeleton of the
 * lower-cased skeleton, so that names differing only in case ("Bob",
 * "bob") or in a lookalike capital ("ВOB" with a Cyrillic В) match too.
 */
export function lookalikeKey(name: string): string {
  return skeleton(skeleton(name).toLowerCase());
}

/** What {@link lookalikes} needs of a contact. */
export interface NamedContact {
  readonly name: string;
  readonly addedAt: number;
}

/**
 * For every contact whose name looks like another contact's (same
 * {@link lookalikeKey}, different name), the name of the one it looks like:
 * the earliest added of the others (then by name), so a newcomer is flagged
 * with the contact it imitates. Contacts that look like no other are absent.
 */
export function lookalikes(contacts: readonly NamedContact[]): Map<string, string> {
  const groups = new Map<string, NamedContact[]>();
  for (const contact of contacts) {
    const key = lookalikeKey(contact.name);
    groups.set(key, [...(groups.get(key) ?? []), contact]);
  }
  const result = new Map<string, string>();
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const ordered = [...group].sort((a, b) => a.addedAt - b.addedAt || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const contact of group) {
      const other = ordered.find((c) => c.name !== contact.name);
      if (other) result.set(contact.name, other.name);
    }
  }
  return result;
}
