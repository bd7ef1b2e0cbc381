/**
 * A few lines of DOM building for the page: elements are made with
 * textContent, never innerHTML, so no name or message can inject markup.
 * Names and message bodies from other peers are isolated as bidirectional
 * text, so a right-to-left name cannot reorder what stands around it.
 */
import { displayName } from '../display-name.ts';
import { terminalText } from '../terminal-text.ts';

/** Attributes of {@link h}: strings, or booleans for presence. Keys starting with "on" are listeners. */
export type Attrs = Record<string, string | boolean | number | undefined | ((event: Event) => void)>;
/** A child: an element, text, or nothing. */
export type Child = Node | string | null | undefined | false;

/** Creates `<tag ...attrs>children</tag>`. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === 'value' && 'value' in el) (el as HTMLInputElement).value = String(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) el.append(child);
  return el;
}

/**
 * A contact's name in the page: `<bdi>` (isolated from the text around it)
 * holding displayName(name), so invisible and bidi control characters show
 * as markers such as "⟨U+202E⟩".
 */
export function nameNode(name: string): HTMLElement {
  return h('bdi', { class: 'name' }, displayName(name));
}

/**
 * A message body from another peer: an element with dir="auto" (its own
 * direction, from its first strong letter, isolated from the page) holding
 * terminalText(text): controls removed, bidi controls shown as markers.
 */
export function messageBody<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs, text: string): HTMLElementTagNameMap[K] {
  return h(tag, { ...attrs, dir: 'auto' }, terminalText(text));
}

/** An element kept for one value of a list that is updated in place. */
export interface KeyedItem {
  readonly li: HTMLElement;
}

/**
 * Brings the children of `list` in line with `values`, in their order, one
 * element per key: an item is made once (`make`) and kept in `items`, the
 * items of keys no longer present are removed, each one is drawn (`draw`,
 * which redraws only what changed), and an element is moved only when out
 * of place, so an element with the focus keeps it.
 */
export function updateKeyed<V, I extends KeyedItem>(list: Element, items: Map<string, I>, values: readonly V[], key: (value: V) => string, make: (value: V) => I, draw: (value: V, item: I) => void): void {
  const present = new Set(values.map(key));
  for (const [k, item] of items) {
    if (present.has(k)) continue;
    item.li.remove();
    items.delete(k);
  }
  let before: ChildNode | null = list.firstChild;
  for (const value of values) {
    const k = key(value);
    let item = items.get(k);
    if (!item) {
      item = make(value);
      items.set(k, item);
    }
    draw(value, item);
    if (item.li !== before) list.insertBefore(item.li, before);
    before = item.li.nextSibling;
  }
}

/** Replaces the children of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
}

/** The element with `data-testid="id"` under `root`; throws TypeError when absent (a page bug). */
export function byTestId<T extends HTMLElement>(root: ParentNode, id: string): T {
  const el = root.querySelector<T>(`[data-testid="${id}"]`);
  if (!el) throw new TypeError(`no element with data-testid ${id}`);
  return el;
}
