import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TimelineEntry } from '../../electron/api/contract';
import { AuditTimeline } from './AuditTimeline';
import { VerificationBadge } from './VerificationBadge';

afterEach(cleanup);

const entries: TimelineEntry[] = [1, 2, 3].map((seq) => ({ seq, ts: `2026-12-03T12:00:0${seq}.000Z`, type: 'run.note', text: `note ${seq}` }));

describe('the audit timeline', () => {
  it('numbers each entry by its journal line and highlights the lines a failed verification names', () => {
    const { container } = render(<AuditTimeline entries={entries} problemLines={[2]} />);
    expect([...container.querySelectorAll('.line-no')].map((cell) => cell.textContent)).toEqual(['1', '2', '3']);
    expect(container.querySelector('li.problem')?.getAttribute('data-line')).toBe('2');
    expect(container.querySelector('#journal-line-2')).toBeTruthy();
  });

  it('lets the operator go from a verification problem to its line', () => {
    const onLine = vi.fn();
    render(<VerificationBadge verification={{ ok: false, records: 3, finished: true, lastHash: 'ab', problems: [{ line: 2, message: 'hash does not match' }] }} onLine={onLine} />);
    fireEvent.click(screen.getByRole('button', { name: 'line 2' }));
    expect(onLine).toHaveBeenCalledWith(2);
  });
});
