/**
 * The create/edit panel. An edit remembers the version it started from and sends only the
 * fields the user changed, with that `baseVersion`: a concurrent change to other fields merges,
 * a concurrent change to the same field comes back as `VERSION_CONFLICT`, shown side by side.
 */
import { isStaffSyncClientError, type Staff, type StaffChanges, type StaffSyncClient } from '../src';
import { FIELD_LABELS, byId, el, show } from './view';

const FIELDS = ['name', 'position', 'department', 'email', 'employmentType', 'status'] as const;
type Field = (typeof FIELDS)[number];
const NULLABLE = new Set<Field>(['position', 'department', 'email']);

export interface EditorHooks {
  log(text: string, kind?: 'info' | 'error'): void;
  changed(): void;
  /** The record being edited, or null: the others see it in their online list and table. */
  editing(staffId: string | null): void;
}

export class Editor {
  /** The record as it was when editing began; undefined while creating. */
  private base: Staff | undefined;
  private readonly panel = byId('editor');
  private readonly form = byId<HTMLFormElement>('staff-form');
  private readonly conflict = byId('conflict');
  private readonly note = byId('editor-note');

  constructor(
    private readonly client: () => StaffSyncClient | undefined,
    private readonly hooks: EditorHooks,
  ) {
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
    byId('cancel').onclick = () => this.close();
  }

  get editingId(): string | undefined {
    return this.panel.hidden ? undefined : this.base?.id;
  }

  open(record?: Staff): void {
    this.base = record;
    this.panel.hidden = false;
    this.conflict.hidden = true;
    this.setNote();
    byId('editor-title').textContent = record ? `Edit ${record.name} (v${record.version})` : 'New staff';
    for (const field of FIELDS) this.input(field).value = record ? String(record[field] ?? '') : field === 'employmentType' ? 'full_time' : field === 'status' ? 'active' : '';
    this.input('name').focus();
    this.hooks.editing(record?.id ?? null);
    this.hooks.changed();
  }

  close(): void {
    if (this.base) this.hooks.editing(null);
    this.panel.hidden = true;
    this.base = undefined;
    this.hooks.changed();
  }

  /** Someone else changed or deleted the record being edited. */
  noticeRemoteChange(record: Staff, deleted: boolean): void {
    if (!this.base || this.panel.hidden || record.id !== this.base.id) return;
    this.setNote(deleted ? 'This record was deleted by someone else.' : `Changed by someone else (now v${record.version}); saving merges other fields or shows a conflict.`, 'warn');
  }

  private async submit(): Promise<void> {
    const client = this.client();
    if (!client) return;
    const values = this.values();
    if (!this.base) {
      await this.attempt(async () => {
        const { staff } = await client.create(values as StaffChanges & { name: string });
        this.hooks.log(`created ${staff.name}`);
        this.close();
      });
      return;
    }
    const changes = Object.fromEntries(FIELDS.filter((field) => values[field] !== this.base![field]).map((field) => [field, values[field]])) as StaffChanges;
    if (Object.keys(changes).length === 0) return this.setNote('Nothing changed.');
    await this.save(changes, this.base.version);
  }

  private async save(changes: StaffChanges, baseVersion: number): Promise<void> {
    const base = this.base!;
    await this.attempt(async () => {
      const change = await this.client()!.update(base.id, changes, baseVersion);
      const merged = change !== null && change.version > baseVersion + 1;
      this.hooks.log(`${change ? `saved ${change.staff.name} as v${change.version}` : 'nothing to save'}${merged ? ' (merged with a concurrent change to other fields)' : ''}`);
      this.close();
    });
  }

  private async attempt(task: () => Promise<void>): Promise<void> {
    const save = byId<HTMLButtonElement>('save');
    save.disabled = true;
    try {
      await task();
    } catch (error) {
      if (isStaffSyncClientError(error) && error.code === 'VERSION_CONFLICT' && error.current && this.base) {
        this.showConflict(this.values(), error.current);
      } else {
        const message = isStaffSyncClientError(error) ? `${error.code}: ${error.message}` : String(error);
        this.setNote(message, 'bad');
        this.hooks.log(message, 'error');
      }
    } finally {
      save.disabled = false;
    }
  }

  private showConflict(mine: Record<Field, string | null>, current: Staff): void {
    const fields = FIELDS.filter((field) => mine[field] !== this.base![field]);
    byId('conflict-version').textContent = String(current.version);
    this.conflict.querySelector('tbody')!.replaceChildren(
      ...fields.map((field) =>
        el('tr', {}, el('td', { textContent: FIELD_LABELS[field] ?? field }), el('td', { textContent: show(mine[field]) }), el('td', { className: current[field] !== this.base![field] ? 'theirs' : '', textContent: show(current[field]) })),
      ),
    );
    this.conflict.hidden = false;
    this.hooks.log(`conflict on ${current.name}: changed by someone else while you were editing`, 'error');
    byId('keep-theirs').onclick = () => this.open(current);
    byId('overwrite').onclick = () => {
      this.conflict.hidden = true;
      const changes = Object.fromEntries(fields.map((field) => [field, mine[field]])) as StaffChanges;
      void this.save(changes, current.version);
    };
  }

  private values(): Record<Field, string | null> {
    const entries = FIELDS.map((field) => {
      const value = this.input(field).value.trim();
      return [field, value === '' && NULLABLE.has(field) ? null : value] as const;
    });
    return Object.fromEntries(entries) as Record<Field, string | null>;
  }

  private input(field: Field): HTMLInputElement | HTMLSelectElement {
    return this.form.elements.namedItem(field) as HTMLInputElement | HTMLSelectElement;
  }

  private setNote(text?: string, kind: 'info' | 'warn' | 'bad' = 'info'): void {
    this.note.hidden = !text;
    this.note.textContent = text ?? '';
    this.note.className = `note ${kind}`;
  }
}
