/**
 * Small DOM helpers: typed element lookup and an element builder.
 *
 * @module
 */

/**
 * The element with `id`, checked to be an instance of `type`.
 *
 * @throws {TypeError} When the page lacks it: the HTML and code disagree.
 */
export function byId<T extends HTMLElement>(
  id: string,
  type: { new (): T; prototype: T },
): T {
  const e = document.getElementById(id);
  if (!(e instanceof type)) {
    throw new TypeError(`The page has no ${type.name} with id "${id}"`);
  }
  return e;
}

/** Attributes and properties {@link el} understands. */
export interface ElementProps {
  class?: string;
  text?: string;
  attrs?: Record<string, string>;
  on?: Partial<Record<keyof HTMLElementEventMap, (e: Event) => void>>;
}

/** Creates `<tag>` with props and children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (props.class) e.className = props.class;
  if (props.text !== undefined) e.textContent = props.text;
  for (const [k, v] of Object.entries(props.attrs ?? {})) e.setAttribute(k, v);
  for (const [k, f] of Object.entries(props.on ?? {})) {
    if (f) e.addEventListener(k, f);
  }
  e.append(...children);
  return e;
}
