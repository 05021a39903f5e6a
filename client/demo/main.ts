/**
 * The staff-sync demo page (served by the local stage at /demo): pick an org and a role, get a
 * token from `POST /local/token`, and watch the staff list stay in sync across tabs.
 */
import { connect, indexedDbStorage, isStaffSyncClientError, splitBatch, type Staff, type StaffSyncClient } from '../src';
import { staffFromCsv } from './csv';
import { Editor } from './editor';
import { byId, logLine, renderOnline, renderRows } from './view';

type Role = 'admin' | 'manager' | 'viewer';

const params = new URLSearchParams(location.search);
const wsUrl = params.get('ws') ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/staff-sync`;
const userId = sessionStorage.getItem('staff-sync-demo-user') ?? `demo-${Math.random().toString(36).slice(2, 8)}`;
sessionStorage.setItem('staff-sync-demo-user', userId);

let client: StaffSyncClient | undefined;
let role: Role = 'manager';
const flash = new Set<string>();
const log = (text: string, kind?: 'info' | 'error') => logLine(byId<HTMLOListElement>('log'), text, kind);
const editor = new Editor(() => client, {
  log,
  changed: () => render(),
  editing: (staffId) => {
    if (role === 'viewer') return;
    client?.presence.editing(staffId).catch((error: unknown) => log(isStaffSyncClientError(error) ? `presence: ${error.code}: ${error.message}` : String(error), 'error'));
  },
});

async function fetchToken(orgId: string): Promise<string> {
  const response = await fetch('/local/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ orgId, role, sub: userId }),
  });
  if (!response.ok) throw new Error(`POST /local/token answered ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

function start(orgId: string, chosen: Role): void {
  stop();
  role = chosen;
  // Kept in this browser per org and user: a reload shows the list at once and catches up with a
  // delta; a write made offline is sent when the connection is back.
  client = connect(wsUrl, () => fetchToken(orgId), { storage: indexedDbStorage(`${orgId}:${userId}`), reconnect: { maxDelayMs: 5000 } });
  showStatus(client.status);
  client.on('status', (status) => {
    showStatus(status);
    log(`connection ${status}`);
  });
  client.on('state', () => render());
  client.on('change', (change) => {
    if (change.actor !== userId) {
      flash.add(change.staffId);
      editor.noticeRemoteChange(change.staff, change.op === 'delete');
    }
    log(`seq ${change.seq}: ${change.op} ${change.staff.name} (v${change.version}) by ${change.actor === userId ? 'you' : change.actor}`);
  });
  client.on('error', (error) => log(`${error.code}: ${error.message}`, 'error'));
  client.on('presence', () => render());
  client.presence.watch().catch((error: unknown) => log(isStaffSyncClientError(error) ? `presence: ${error.code}: ${error.message}` : String(error), 'error'));
  byId('whoami').textContent = `you are ${userId} · ${role} in ${orgId}`;
  byId<HTMLButtonElement>('disconnect').disabled = false;
  const link = byId<HTMLAnchorElement>('another-tab');
  link.href = `?org=${encodeURIComponent(orgId)}&role=${role}&autoconnect=1`;
  link.hidden = false;
  history.replaceState(null, '', `?org=${encodeURIComponent(orgId)}&role=${role}&autoconnect=1`);
  render();
}

function showStatus(status: StaffSyncClient['status'] | 'idle'): void {
  const pill = byId('status');
  pill.dataset.status = status;
  pill.textContent = status === 'open' ? 'connected' : status === 'idle' ? 'not connected' : status;
}

function stop(): void {
  client?.close();
  client = undefined;
  editor.close();
  flash.clear();
  byId<HTMLButtonElement>('disconnect').disabled = true;
  render();
}

async function remove(record: Staff): Promise<void> {
  try {
    await client?.remove(record.id);
    log(`deleted ${record.name}`);
  } catch (error) {
    log(isStaffSyncClientError(error) ? `could not delete ${record.name}: ${error.code}: ${error.message}` : String(error), 'error');
  }
}

/**
 * Imports a CSV in batches the gateway accepts, one transaction each: a refused batch names its
 * first bad row (payload.operations.N → the file's line) and the import stops there.
 */
async function importCsv(file: File): Promise<void> {
  const { rows, problems } = staffFromCsv(await file.text());
  for (const problem of problems) log(`${file.name}: ${problem}`, 'error');
  if (problems.length > 0 || !client) return;
  const batches = splitBatch(rows.map((staff) => ({ op: 'create' as const, staff })));
  let done = 0;
  for (const batch of batches) {
    try {
      await client.batch(batch);
    } catch (error) {
      if (!isStaffSyncClientError(error)) throw error;
      const detail = error.details?.[0];
      const index = detail ? /^payload\.operations\.(\d+)\.staff\.?(.*)$/.exec(detail.path) : null;
      const where = index ? `line ${done + Number(index[1]) + 2}${index[2] ? `, ${index[2]}` : ''}: ${detail!.message}` : error.message;
      log(`${file.name}: import stopped after ${done} of ${rows.length} rows (${error.code}) at ${where}`, 'error');
      return;
    }
    done += batch.length;
    log(`${file.name}: imported ${done} of ${rows.length} rows`);
  }
}

/** Who else edits which record, from the presence markers (this tab's own is the editor panel). */
function editorsByRecord(): Map<string, string[]> {
  const editors = new Map<string, string[]>();
  for (const member of client?.presence.list() ?? []) {
    if (!member.editing || member.memberId === client?.presence.self) continue;
    editors.set(member.editing.staffId, [...(editors.get(member.editing.staffId) ?? []), member.userId]);
  }
  return editors;
}

function render(): void {
  const staff = client?.list() ?? [];
  const canWrite = client !== undefined && role !== 'viewer';
  const editors = editorsByRecord();
  renderRows(byId<HTMLTableElement>('staff').tBodies[0]!, staff, { canWrite, editingId: editor.editingId, flash, editors, edit: (record) => editor.open(record), remove: (record) => void remove(record) });
  const members = client?.presence.list() ?? [];
  byId('online-card').hidden = !client;
  byId('online-count').textContent = client ? `(${members.length})` : '';
  renderOnline(byId<HTMLUListElement>('online'), members, client?.presence.self, (staffId) => client?.get(staffId)?.name ?? 'a record');
  flash.clear();
  byId('seq').textContent = client ? String(client.state.lastSeq) : '–';
  byId('count').textContent = client ? `(${staff.length})` : '';
  byId<HTMLButtonElement>('new').disabled = !canWrite;
  byId<HTMLInputElement>('import-csv').disabled = !canWrite;
  byId('import-label').classList.toggle('disabled', !canWrite);
  const empty = byId('empty');
  empty.hidden = staff.length > 0;
  empty.textContent = !client ? 'Connect to an organisation to see its staff.' : client.state.synced ? (role === 'viewer' ? 'No staff yet (viewers cannot add any).' : 'No staff yet: add the first one.') : 'Loading…';
  if (!client) showStatus('idle');
}

byId<HTMLFormElement>('session').addEventListener('submit', (event) => {
  event.preventDefault();
  start(byId<HTMLInputElement>('org').value.trim(), byId<HTMLSelectElement>('role').value as Role);
});
byId('disconnect').onclick = () => {
  stop();
  history.replaceState(null, '', location.search.replace('&autoconnect=1', ''));
  log('disconnected');
};
byId('new').onclick = () => editor.open();
byId<HTMLInputElement>('import-csv').addEventListener('change', (event) => {
  const input = event.target as HTMLInputElement;
  const file = input.files?.[0];
  input.value = '';
  if (file) void importCsv(file);
});

const presetOrg = params.get('org');
const presetRole = params.get('role');
if (presetOrg) byId<HTMLInputElement>('org').value = presetOrg;
if (presetRole === 'admin' || presetRole === 'manager' || presetRole === 'viewer') byId<HTMLSelectElement>('role').value = presetRole;
if (presetOrg && params.get('autoconnect') === '1') start(presetOrg, byId<HTMLSelectElement>('role').value as Role);
render();
