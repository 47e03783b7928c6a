import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DestructiveConfirm } from './DestructiveConfirm';

afterEach(cleanup);

describe('DestructiveConfirm', () => {
  it('keeps the button disabled until the exact expected text is typed', () => {
    const onConfirm = vi.fn();
    render(<DestructiveConfirm prompt="Deletes things." expected="compute01 compute02" onConfirm={onConfirm} />);
    const button = screen.getByRole<HTMLButtonElement>('button', { name: 'Run destructive step' });
    const input = screen.getByLabelText('Confirmation text');
    expect(button.disabled).toBe(true);
    for (const wrong of ['compute01', 'Compute01 compute02', 'compute01  compute02', 'compute01 compute0']) {
      fireEvent.change(input, { target: { value: wrong } });
      expect(button.disabled).toBe(true);
    }
    // Submitting with Enter while it does not match does nothing either.
    fireEvent.submit(input.closest('form')!);
    expect(onConfirm).not.toHaveBeenCalled();
    fireEvent.change(input, { target: { value: ' compute01 compute02 ' } });
    expect(button.disabled).toBe(false);
    fireEvent.click(button);
    expect(onConfirm).toHaveBeenCalledWith(' compute01 compute02 ');
  });

  it('says so when the last text sent did not match', () => {
    render(<DestructiveConfirm prompt="p" expected="x" mismatch onConfirm={() => undefined} />);
    expect(screen.getByText(/did not match/)).toBeTruthy();
  });
});
