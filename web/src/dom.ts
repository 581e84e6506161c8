// A tiny DOM builder: elements with attributes, text and children, and HTML escaping for the SVG strings the
// charts build. No framework: the page is a handful of panels redrawn from one data snapshot a second.

type Child = Node | string | number | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  append(node, ...children);
  return node;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces a node's children. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** A card: title, optional actions on the right, and a body the panel fills. */
export function card(title: string, opts: { subtitle?: string; actions?: Node[]; id?: string } = {}): { root: HTMLElement; body: HTMLElement; subtitle: HTMLElement } {
  const subtitle = el('span', { class: 'card-subtitle' }, opts.subtitle ?? '');
  const body = el('div', { class: 'card-body' });
  const root = el(
    'section',
    { class: 'card', id: opts.id },
    el('header', { class: 'card-header' }, el('div', {}, el('h2', {}, title), subtitle), el('div', { class: 'card-actions' }, ...(opts.actions ?? []))),
    body,
  );
  return { root, body, subtitle };
}

export function emptyState(text: string): HTMLElement {
  return el('p', { class: 'empty' }, text);
}
