import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApprovalListing } from '../../electron/api/contract';
import { ApprovalRequestCard } from './ApprovalRequestCard';
import { ApprovalWait } from './ApprovalWait';

afterEach(cleanup);

const request: ApprovalListing['requests'][number] = {
  id: 'r1',
  runId: 'run1',
  step: 'wipe',
  title: 'Wipe the scratch volume',
  runbook: { id: 'wipe', title: 'Wipe' },
  environment: 'prod',
  operator: 'alice',
  machine: 'bastion',
  requestedAt: '2026-12-03T16:00:00.000Z',
  hosts: ['compute01', 'compute02'],
  commands: [
    { host: 'compute01', command: 'sudo -n -- "${SHELL:-/bin/sh}" -c \'wipefs -a /dev/vdb\'' },
    { host: 'compute02', command: 'sudo -n -- "${SHELL:-/bin/sh}" -c \'wipefs -a /dev/vdb\'' },
  ],
  warning: 'Deletes the scratch data.',
  checks: ['exit code 0'],
  plan: [
    { key: 'look', title: 'Look first', state: 'done' },
    { key: 'wipe', title: 'Wipe the scratch volume', state: 'this' },
  ],
  own: false,
};

describe('ApprovalWait', () => {
  it('breaks the glass only with a reason', () => {
    const onBreakGlass = vi.fn();
    render(<ApprovalWait prompt="waiting for a second operator" onBreakGlass={onBreakGlass} />);
    fireEvent.click(screen.getByRole('button', { name: 'Break glass…' }));
    const go = screen.getByRole<HTMLButtonElement>('button', { name: 'Break glass and run the step' });
    expect(go.disabled).toBe(true);
    fireEvent.change(screen.getByLabelText('Break-glass reason'), { target: { value: '   ' } });
    expect(go.disabled).toBe(true);
    fireEvent.submit(go.closest('form')!);
    expect(onBreakGlass).not.toHaveBeenCalled();
    fireEvent.change(screen.getByLabelText('Break-glass reason'), { target: { value: ' outage, nobody reachable ' } });
    fireEvent.click(go);
    expect(onBreakGlass).toHaveBeenCalledWith('outage, nobody reachable');
  });
});

describe('ApprovalRequestCard', () => {
  it("shows every host's exact command and answers only with a reason", () => {
    const onAnswer = vi.fn();
    render(<ApprovalRequestCard request={request} onAnswer={onAnswer} />);
    expect(screen.getByLabelText('Commands as sent').textContent).toBe(request.commands.map((entry) => `${entry.host}: ${entry.command}`).join('\n'));
    const approve = screen.getByRole<HTMLButtonElement>('button', { name: 'Approve' });
    const refuse = screen.getByRole<HTMLButtonElement>('button', { name: 'Refuse' });
    expect(approve.disabled && refuse.disabled).toBe(true);
    fireEvent.change(screen.getByLabelText('Approval reason'), { target: { value: 'wrong disk' } });
    fireEvent.click(refuse);
    expect(onAnswer).toHaveBeenCalledWith('refuse', 'wrong disk');
  });

  it("offers no answer on the operator's own run", () => {
    render(<ApprovalRequestCard request={{ ...request, own: true }} onAnswer={() => undefined} />);
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
    expect(screen.getByText('Your own run: a second operator must answer it.')).toBeTruthy();
  });
});
