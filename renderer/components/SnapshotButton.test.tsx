import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SnapshotButton, type SnapshotReply } from './SnapshotButton';

afterEach(cleanup);

describe('SnapshotButton', () => {
  it('asks for a snapshot with a label, is disabled while it is taken, then says it was journaled', async () => {
    let answer: (reply: SnapshotReply) => void = () => undefined;
    const onSnapshot = vi.fn((label: string) => {
      void label;
      return new Promise<SnapshotReply>((resolve) => (answer = resolve));
    });
    render(<SnapshotButton live onSnapshot={onSnapshot} />);
    fireEvent.click(screen.getByRole('button', { name: 'Take a state snapshot now' }));
    expect(onSnapshot).toHaveBeenCalledTimes(1);
    expect(onSnapshot.mock.calls[0][0]).toMatch(/^operator \d\d:\d\d:\d\d UTC$/);
    const busy = screen.getByRole<HTMLButtonElement>('button', { name: 'Taking a state snapshot…' });
    expect(busy.disabled).toBe(true);
    await act(async () => answer({ taken: true }));
    expect(screen.getByRole('status').textContent).toContain('State snapshot taken');
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Take a state snapshot now' }).disabled).toBe(false);
  });

  it('says why when none was taken (no snapshots: true, or the run is over) and when the backend refused', async () => {
    const onSnapshot = vi.fn<(label: string) => Promise<SnapshotReply>>().mockResolvedValueOnce({ taken: false }).mockResolvedValueOnce({ error: 'No run 123 in this session.' });
    render(<SnapshotButton live onSnapshot={onSnapshot} />);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Take a state snapshot now' })));
    expect(screen.getByRole('status').textContent).toContain('"snapshots: true"');
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Take a state snapshot now' })));
    expect(screen.getByRole('status').textContent).toBe('No snapshot: No run 123 in this session.');
  });

  it('is not offered once the run is over', () => {
    render(<SnapshotButton live={false} onSnapshot={vi.fn()} />);
    expect(screen.queryByRole('button')).toBeNull();
  });
});
