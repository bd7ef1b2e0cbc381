/**
 * Contact names: what a name may contain.
 */
import { MAX_CONTACT_NAME_LENGTH } from '../constants.ts';
import { InvalidContactNameError } from '../errors.ts';

/** Checks a contact name: 1-64 characters, no control characters, no surrounding spaces. */
export function validateContactName(name: string): void {
  if (name.length === 0) throw new InvalidContactNameError(name, 'it is empty');
  if (name.length > MAX_CONTACT_NAME_LENGTH) throw new InvalidContactNameError(name, `it is longer than ${MAX_CONTACT_NAME_LENGTH} characters`);
  if (name.trim() !== name) throw new InvalidContactNameError(name, 'it starts or ends with a space');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new InvalidContactNameError(name, 'it contains control characters');
}

