/**
 * @jest-environment jsdom
 *
 * The React bindings rendered by React DOM in jsdom over a client on a scripted socket: hooks
 * follow the client's state and status, `useStaff` re-renders only for its own record.
 */
import { act, render, screen } from '@testing-library/react';
import { createElement, type ReactNode } from 'react';
import { connect, type Staff, type StaffSyncClient } from '../../../client/src';
import { StaffSyncProvider, useStaff, useStaffSync } from '../../../client/src/react';
import { FakeSocket } from './fake-socket';
import { change, staff } from './fixtures';

// React's act() warns unless the environment says it is a test.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const settle = () => act(() => jest.advanceTimersByTimeAsync(0));

function answerSync(socket: FakeSocket, page: Record<string, unknown>): void {
  const request = socket.sentOf('SYNC_REQUEST').at(-1);
  if (!request) throw new Error('no SYNC_REQUEST to answer');
  socket.receive({ type: 'SYNC_RESPONSE', requestId: request.requestId, ...page });
}

async function openWith(records: Staff[], seq: number): Promise<FakeSocket> {
  const socket = FakeSocket.last;
  await act(async () => {
    socket.open();
    await jest.advanceTimersByTimeAsync(0);
    answerSync(socket, { mode: 'snapshot', staff: records, seq, hasMore: false });
    await jest.advanceTimersByTimeAsync(0);
    answerSync(socket, { mode: 'delta', changes: [], seq, hasMore: false });
    await jest.advanceTimersByTimeAsync(0);
  });
  return socket;
}

function Schedule() {
  const { staff: list, synced, status, lastSeq } = useStaffSync();
  return createElement(
    'section',
    null,
    createElement('p', { 'data-testid': 'meta' }, `${status} ${synced ? 'synced' : 'syncing'} seq ${lastSeq}`),
    createElement('ul', null, ...list.map((record) => createElement('li', { key: record.id }, record.name))),
  );
}

const renders: string[] = [];
function Row({ id, client }: { id: string; client?: StaffSyncClient }) {
  const record = useStaff(id, client);
  renders.push(id);
  return createElement('span', { 'data-testid': `row-${id}` }, record ? `${record.name} v${record.version}` : 'gone');
}

let client: StaffSyncClient;
const inProvider = (...children: ReactNode[]) => createElement(StaffSyncProvider, { client }, ...children);

beforeEach(() => {
  FakeSocket.reset();
  renders.length = 0;
  jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick'] });
  client = connect('ws://stage.test/staff-sync', 'token', { WebSocket: FakeSocket });
});
afterEach(() => {
  client.close();
  jest.useRealTimers();
});

describe('useStaffSync', () => {
  it('renders the list and the connection as they change', async () => {
    const ada = staff({ n: 1, name: 'Ada', displayOrder: 1 });
    const grace = staff({ n: 2, name: 'Grace', displayOrder: 0 });
    render(inProvider(createElement(Schedule)));
    expect(screen.getByTestId('meta').textContent).toBe('connecting syncing seq 0');

    const socket = await openWith([ada, grace], 2);
    expect(screen.getByTestId('meta').textContent).toBe('open synced seq 2');
    expect(screen.getAllByRole('listitem').map((item) => item.textContent)).toEqual(['Grace', 'Ada']);

    await act(async () => {
      socket.receive({ type: 'STAFF_UPDATE', change: change(3, { ...ada, name: 'Ada L.', version: 2, displayOrder: -1 }) });
      await jest.advanceTimersByTimeAsync(0);
    });
    expect(screen.getAllByRole('listitem').map((item) => item.textContent)).toEqual(['Ada L.', 'Grace']);
    expect(screen.getByTestId('meta').textContent).toBe('open synced seq 3');

    await act(async () => socket.drop());
    expect(screen.getByTestId('meta').textContent).toMatch(/^reconnecting syncing/);
  });

  it('explains itself outside a provider without a client', () => {
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(() => render(createElement(Schedule))).toThrow(/StaffSyncProvider/);
  });
});

describe('useStaff', () => {
  it('follows one record and re-renders only when that record changes', async () => {
    const ada = staff({ n: 1, name: 'Ada' });
    const grace = staff({ n: 2, name: 'Grace' });
    render(createElement('div', null, createElement(Row, { id: ada.id, client }), createElement(Row, { id: grace.id, client })));
    expect(screen.getByTestId(`row-${ada.id}`).textContent).toBe('gone');

    const socket = await openWith([ada, grace], 2);
    expect(screen.getByTestId(`row-${ada.id}`).textContent).toBe('Ada v1');
    renders.length = 0;

    await act(async () => {
      socket.receive({ type: 'STAFF_UPDATE', change: change(3, { ...grace, name: 'Grace H.', version: 2 }) });
      await jest.advanceTimersByTimeAsync(0);
    });
    expect(screen.getByTestId(`row-${grace.id}`).textContent).toBe('Grace H. v2');
    expect(renders).toEqual([grace.id]);

    await act(async () => {
      socket.receive({ type: 'STAFF_DELETE', change: change(4, { ...ada, version: 2 }, 'delete') });
      await jest.advanceTimersByTimeAsync(0);
    });
    expect(screen.getByTestId(`row-${ada.id}`).textContent).toBe('gone');
    await settle();
  });
});
