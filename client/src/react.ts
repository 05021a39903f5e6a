/**
 * React bindings (`@staff-sync/client/react`): the client's live state as hooks, re-rendering
 * on its `state` and `status` events through `useSyncExternalStore` (so concurrent rendering
 * never tears). The app creates and closes the client; these only read it.
 *
 * @example
 * const client = connect(url, getToken);
 * root.render(<StaffSyncProvider client={client}><Schedule /></StaffSyncProvider>);
 *
 * function Schedule() {
 *   const { staff, synced, status } = useStaffSync();
 *   return <ul>{staff.map((s) => <li key={s.id}>{s.name}</li>)}</ul>;
 * }
 * function Row({ id }: { id: string }) {
 *   const record = useStaff(id); // re-renders only when this record changes
 *   return record ? <span>{record.name}</span> : null;
 * }
 */
import { createContext, createElement, useContext, useSyncExternalStore, type ReactNode } from 'react';
import type { StaffSyncClient } from './client';
import type { ConnectionStatus } from './connection';
import type { Staff } from './protocol';

/** What `useStaffSync()` returns: one immutable value per state change. */
export interface StaffSyncView {
  readonly client: StaffSyncClient;
  /** The org's staff as a schedule shows it (`client.list()`: by `displayOrder`, then name). */
  readonly staff: readonly Staff[];
  readonly lastSeq: number;
  readonly synced: boolean;
  readonly status: ConnectionStatus;
}

const ClientContext = createContext<StaffSyncClient | null>(null);

/** Makes `client` the one the hooks below use when they are not given one. */
export function StaffSyncProvider({ client, children }: { client: StaffSyncClient; children?: ReactNode }) {
  return createElement(ClientContext.Provider, { value: client }, children);
}

/** The client of the nearest `StaffSyncProvider`, or `client` when given. */
export function useStaffSyncClient(client?: StaffSyncClient): StaffSyncClient {
  const provided = useContext(ClientContext);
  const chosen = client ?? provided;
  if (!chosen) throw new Error('no staff-sync client: render inside <StaffSyncProvider client={…}> or pass the client to the hook');
  return chosen;
}

/** The whole live state; re-renders when a change is taken, a sync finishes or the connection status moves. */
export function useStaffSync(client?: StaffSyncClient): StaffSyncView {
  const store = viewStoreOf(useStaffSyncClient(client));
  return useSyncExternalStore(store.subscribe, store.snapshot, store.snapshot);
}

/** One record (undefined while unknown or after its delete); re-renders only when that record changes. */
export function useStaff(id: string, client?: StaffSyncClient): Staff | undefined {
  const chosen = useStaffSyncClient(client);
  const store = viewStoreOf(chosen);
  // The local state replaces a record's object on every change to it, so identity is the version.
  const read = () => chosen.get(id);
  return useSyncExternalStore(store.subscribe, read, read);
}

/** One subscription per client, shared by every hook that reads it; its view is rebuilt once per event. */
class ViewStore {
  private view: StaffSyncView;
  private readonly listeners = new Set<() => void>();
  private unsubscribe: Array<() => void> = [];

  constructor(private readonly client: StaffSyncClient) {
    this.view = this.read();
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    if (this.listeners.size === 0) {
      // Events while nobody listened were not seen: start from the client's state as it is now.
      this.view = this.read();
      this.unsubscribe = [this.client.on('state', this.update), this.client.on('status', this.update)];
    }
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size > 0) return;
      for (const off of this.unsubscribe.splice(0)) off();
    };
  };

  readonly snapshot = (): StaffSyncView => this.view;

  private readonly update = (): void => {
    this.view = this.read();
    for (const listener of [...this.listeners]) listener();
  };

  private read(): StaffSyncView {
    const { lastSeq, synced } = this.client.state;
    return { client: this.client, staff: this.client.list(), lastSeq, synced, status: this.client.status };
  }
}

const stores = new WeakMap<StaffSyncClient, ViewStore>();

function viewStoreOf(client: StaffSyncClient): ViewStore {
  let store = stores.get(client);
  if (!store) stores.set(client, (store = new ViewStore(client)));
  return store;
}
