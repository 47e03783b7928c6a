import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NavBar } from './NavBar';

afterEach(cleanup);

describe('NavBar', () => {
  it('keeps the Runs button named "Runs" while runs are live; the count is its description', () => {
    const onNavigate = vi.fn();
    render(<NavBar screen="library" liveRuns={2} lab={false} onNavigate={onNavigate} />);
    const runs = screen.getByRole('button', { name: 'Runs' });
    expect(runs).toHaveProperty('textContent', 'Runs22 live runs');
    expect(document.getElementById(runs.getAttribute('aria-describedby') ?? '')?.textContent).toBe('2 live runs');
    fireEvent.click(runs);
    expect(onNavigate).toHaveBeenCalledWith('run');
  });

  it('shows no count and no description when no run is live', () => {
    render(<NavBar screen="run" liveRuns={0} lab={false} onNavigate={() => undefined} />);
    const runs = screen.getByRole('button', { name: 'Runs' });
    expect(runs.getAttribute('aria-describedby')).toBeNull();
    expect(runs.getAttribute('aria-current')).toBe('page');
  });
});
