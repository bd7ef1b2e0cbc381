/**
 * How the chat draws message requests: their section under the contacts in
 * the left pane, and the header of an open request (not a contact, the
 * claimed name as a claim, a warning when it names or looks like a
 * contact's). A claimed name reaches ink only through displayName.
 */
import { Text } from 'ink';
import type { RequestLine } from '../api.ts';
import { displayName } from '../display-name.ts';
import { listStart, requestLabel, requestWho, shortPeerId } from './format.ts';

/** Rows the request section gets at least (when it has that many requests), however many contacts there are. */
const REQUEST_MIN_ROWS = 3;

/**
 * How the left pane's `rows` are shared: contacts first, then the requests
 * under a heading row; the requests get at least REQUEST_MIN_ROWS rows (or
 * as many as they are) and whatever the contacts leave.
 */
export function splitListRows(contacts: number, requests: number, rows: number): { contactRows: number; requestRows: number } {
  if (requests === 0) return { contactRows: rows, requestRows: 0 };
  const available = rows - 1;
  const requestRows = Math.max(0, Math.min(requests, Math.max(Math.min(requests, REQUEST_MIN_ROWS), available - Math.max(1, contacts)), available - 1));
  return { contactRows: available - requestRows, requestRows };
}

/** Props of {@link RequestSection}. */
export interface RequestSectionProps {
  readonly requests: readonly RequestLine[];
  /** The peer id of the open request. */
  readonly open: string | undefined;
  readonly rows: number;
  readonly width: number;
}

/** The "Requests (N)" heading and the requests that fit in `rows`, the open one always among them; nothing when there are none. */
export function RequestSection({ requests, open, rows, width }: RequestSectionProps): React.JSX.Element | null {
  if (requests.length === 0) return null;
  const start = listStart(requests.length, requests.findIndex((r) => r.peerId === open), rows);
  return (
    <>
      <Text bold>Requests ({requests.length})</Text>
      {requests.slice(start, start + rows).map((r) => (
        <Text key={r.peerId} inverse={r.peerId === open} color={r.looksLike !== undefined ? 'yellow' : undefined} dimColor={r.peerId !== open && r.looksLike === undefined}>
          {requestLabel(r, width)}
        </Text>
      ))}
    </>
  );
}

/** The warning about a request whose claimed name is a contact's, or looks like one (it follows the claimed name); undefined when it is neither. */
export function impostorWarning(r: RequestLine): string | undefined {
  if (r.looksLike === undefined || r.claimedName === null) return undefined;
  const contact = `"${displayName(r.looksLike)}"`;
  return r.claimedName === r.looksLike ? `you have a contact ${contact}` : `that looks like your contact ${contact}`;
}

/** How many rows {@link RequestHeader} takes. */
export function requestHeaderRows(r: RequestLine): number {
  return impostorWarning(r) === undefined ? 3 : 4;
}

/** The header of an open request: what it is, who it says it is (unverified), a warning if that is a contact's name, the commands. */
export function RequestHeader({ request }: { readonly request: RequestLine }): React.JSX.Element {
  const warning = impostorWarning(request);
  const claim = request.claimedName === null ? 'No name given' : `Says it is ${requestWho(request)} (unverified)`;
  return (
    <>
      <Text bold wrap="truncate-end">
        {claim} · not a contact
      </Text>
      <Text dimColor wrap="truncate-end">
        Message request from {shortPeerId(request.peerId)} · no receipts
      </Text>
      {warning ? (
        <Text color="yellow" wrap="truncate-end">
          ⚠ {warning}: this may be someone else
        </Text>
      ) : null}
      <Text color="green" wrap="truncate-end">
        /accept [NAME] makes a contact · /block · /delete
      </Text>
    </>
  );
}
