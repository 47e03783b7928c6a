import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RunControls } from './RunControls';

afterEach(cleanup);

describe('RunControls', () => {
  it('never aborts in one click: a form, a reason, then a distinct button', () => {
    const onAbort = vi.fn();
    render(<RunControls status="running" onPause={() => undefined} onResume={() => undefined} onAbort={onAbort} />);
    expect(screen.queryByRole('button', { name: 'Abort and roll back' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Abort…' }));
    const rollback = screen.getByRole<HTMLButtonElement>('button', { name: 'Abort and roll back' });
    expect(rollback.disabled).toBe(true);
    expect(rollback.className).toContain('danger');
    fireEvent.change(screen.getByLabelText('Reason to abort'), { target: { value: '  host is on fire ' } });
    fireEvent.click(rollback);
    expect(onAbort).toHaveBeenCalledWith('host is on fire', true);
  });

  it('offers "Abort and roll back" only when the run did something the rollback undoes', () => {
    render(<RunControls status="running" canRollBack={false} onPause={() => undefined} onResume={() => undefined} onAbort={() => undefined} />);
    fireEvent.click(screen.getByRole('button', { name: 'Abort…' }));
    expect(screen.queryByRole('button', { name: 'Abort and roll back' })).toBeNull();
    expect(screen.getByText('nothing to roll back yet')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Abort run' })).toBeTruthy();
  });

  it('offers resume when paused, and nothing once the run is over', () => {
    const onResume = vi.fn();
    const { rerender } = render(<RunControls status="paused" onPause={() => undefined} onResume={onResume} onAbort={() => undefined} />);
    fireEvent.click(screen.getByRole('button', { name: 'Resume' }));
    expect(onResume).toHaveBeenCalled();
    rerender(<RunControls status="succeeded" onPause={() => undefined} onResume={() => undefined} onAbort={() => undefined} />);
    expect(screen.queryByRole('button')).toBeNull();
  });
});
