import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LeaseInfo } from '../../electron/api/contract';
import { LeaseTable } from './LeaseTable';

afterEach(cleanup);

const lease: LeaseInfo = {
  backend: 'local',
  environment: 'lab',
  host: 'compute01',
  leaseId: 'l-1',
  generation: 3,
  runId: '20261122T010000Z-abc123',
  operator: 'alice',
  machine: 'ops-2',
  pid: 4242,
  runbook: 'rabbitmq-recovery',
  ttlMs: 120_000,
  since: '2026-11-22T01:00:00.000Z',
  renewedAt: '2026-11-22T01:00:30.000Z',
  expiresAt: '2026-11-22T01:02:30.000Z',
  expired: false,
};

describe('LeaseTable / LeaseBreakForm', () => {
  it('shows who holds the host for which run, and breaks it only with a typed reason, never in one click', () => {
    const onBreak = vi.fn();
    render(<LeaseTable leases={[lease]} onBreak={onBreak} />);
    const row = document.querySelector('[data-lease="compute01"]') as HTMLElement;
    expect(row.textContent).toContain('alice');
    expect(row.textContent).toContain('ops-2');
    expect(row.textContent).toContain('20261122T010000Z-abc123');
    fireEvent.click(screen.getByRole('button', { name: 'Break lease…' }));
    expect(onBreak).not.toHaveBeenCalled();
    const confirm = screen.getByRole<HTMLButtonElement>('button', { name: 'Break the lease on compute01' });
    expect(confirm.disabled).toBe(true);
    const reason = screen.getByLabelText('Reason to break the lease');
    fireEvent.change(reason, { target: { value: '   ' } });
    expect(confirm.disabled).toBe(true);
    fireEvent.submit(reason.closest('form')!);
    expect(onBreak).not.toHaveBeenCalled();
    fireEvent.change(reason, { target: { value: '  alice is off shift, drill needs compute01 ' } });
    expect(confirm.disabled).toBe(false);
    fireEvent.click(confirm);
    expect(onBreak).toHaveBeenCalledWith('compute01', 'alice is off shift, drill needs compute01');
  });

  it('says when nothing is leased', () => {
    render(<LeaseTable leases={[]} onBreak={() => undefined} />);
    expect(screen.getByText('No host is leased.')).toBeTruthy();
  });
});
