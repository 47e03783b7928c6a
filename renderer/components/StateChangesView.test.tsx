import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { SnapshotDiff } from '../../electron/api/contract';
import { StateChangesView } from './StateChangesView';

afterEach(cleanup);

const diff: SnapshotDiff = {
  from: 'start',
  to: 'end',
  compared: 5,
  changes: [
    { probe: 'nova services', host: 'controller01', text: 'nova-compute on compute02: enabled/up → disabled/down (forced)' },
    { probe: 'instances per host', host: 'controller01', text: '4 instances moved compute02 → compute01: web;rm -rf /tmp/x $(id), mnt2, mnt1, db' },
  ],
  notCompared: [{ probe: 'database cluster', host: 'controller01', text: 'failed at start (exit 1): ERROR 2002' }],
};

describe('StateChangesView', () => {
  it('groups the changes by probe and host, as text (a hostile instance name stays text)', () => {
    render(<StateChangesView diff={diff} />);
    const section = screen.getByRole('region', { name: 'What changed' });
    expect(within(section).getByRole('heading', { name: 'nova services (controller01)' })).toBeTruthy();
    expect(within(section).getByText('nova-compute on compute02: enabled/up → disabled/down (forced)')).toBeTruthy();
    expect(within(section).getByText('4 instances moved compute02 → compute01: web;rm -rf /tmp/x $(id), mnt2, mnt1, db')).toBeTruthy();
    expect(within(section).getByText(/2 changes/)).toBeTruthy();
    expect(within(section).getByText('database cluster (controller01): failed at start (exit 1): ERROR 2002')).toBeTruthy();
  });

  it('says so when nothing changed, and when the run took no snapshots', () => {
    render(<StateChangesView diff={{ ...diff, changes: [], notCompared: [] }} />);
    expect(screen.getByText(/no change seen by the 5 probes compared/)).toBeTruthy();
    cleanup();
    render(<StateChangesView />);
    expect(screen.getByRole('note').textContent).toContain('snapshots: true');
  });
});
