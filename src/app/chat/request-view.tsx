/**
 * How the chat draws message requests in the left pane: their section
 * under the contacts (the title of an open request is laid out with the
 * conversation's, ./layout.ts). A claimed name reaches ink only through
 * displayName (requestLabel).
 */
import { Text } from 'ink';
import type { RequestLine } from '../api.ts';
import { listStart, requestLabel } from './format.ts';

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
