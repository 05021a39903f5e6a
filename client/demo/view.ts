/** Rendering helpers of the demo page: plain DOM, text only (never innerHTML with data). */
import type { PresenceMember, Staff } from '../src';

export const byId = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
};

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const element = Object.assign(document.createElement(tag), props);
  element.append(...children);
  return element;
}

export interface RowActions {
  readonly canWrite: boolean;
  readonly editingId: string | undefined;
  readonly flash: ReadonlySet<string>;
  /** Who else says they edit each record (by staff id). */
  readonly editors: ReadonlyMap<string, readonly string[]>;
  edit(record: Staff): void;
  remove(record: Staff): void;
}

/** The staff table's body, rebuilt from the list (a few hundred rows render in well under a frame). */
export function renderRows(tbody: HTMLTableSectionElement, staff: readonly Staff[], actions: RowActions): void {
  tbody.replaceChildren(
    ...staff.map((record) => {
      const status = el('span', { className: `badge ${record.status}`, textContent: record.status });
      const edit = el('button', { type: 'button', className: 'link', textContent: 'Edit', disabled: !actions.canWrite, onclick: () => actions.edit(record) });
      const remove = el('button', { type: 'button', className: 'link delete', textContent: 'Delete', disabled: !actions.canWrite, onclick: () => actions.remove(record) });
      const row = el(
        'tr',
        {},
        el('td', {}, record.name, ...(actions.editors.has(record.id) ? [el('span', { className: 'marker', textContent: `✎ ${actions.editors.get(record.id)!.join(', ')}` })] : [])),
        el('td', { textContent: record.position ?? '' }),
        el('td', { textContent: record.department ?? '' }),
        el('td', { textContent: record.email ?? '' }),
        el('td', {}, status),
        el('td', { className: 'num', textContent: String(record.version) }),
        el('td', { className: 'actions' }, edit, remove),
      );
      row.dataset.id = record.id;
      if (actions.flash.has(record.id)) row.classList.add('flash');
      if (actions.editingId === record.id) row.classList.add('editing');
      if (actions.editors.has(record.id)) row.classList.add('others-editing');
      return row;
    }),
  );
}

/** The online list: one chip per connection, this tab marked, with the record each edits. */
export function renderOnline(list: HTMLUListElement, members: readonly PresenceMember[], self: string | undefined, nameOf: (staffId: string) => string): void {
  list.replaceChildren(
    ...members.map((member) => {
      const chip = el('li', { className: member.memberId === self ? 'self' : '' }, `${member.userId} · ${member.role}${member.memberId === self ? ' (this tab)' : ''}`);
      if (member.editing) chip.append(el('span', { className: 'editing', textContent: `editing ${nameOf(member.editing.staffId)}` }));
      chip.dataset.memberId = member.memberId;
      return chip;
    }),
  );
}

/** Prepends one line to the activity log (newest first, at most 50). */
export function logLine(list: HTMLOListElement, text: string, kind: 'info' | 'error' = 'info'): void {
  const time = el('time', { textContent: new Date().toLocaleTimeString() });
  list.prepend(el('li', { className: kind }, time, el('span', { textContent: text })));
  while (list.children.length > 50) list.lastElementChild?.remove();
}

export const FIELD_LABELS: Readonly<Record<string, string>> = {
  name: 'Name',
  position: 'Position',
  department: 'Department',
  email: 'Email',
  employmentType: 'Employment',
  status: 'Status',
};

export const show = (value: unknown): string => (value === null || value === undefined || value === '' ? '—' : String(value));
