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

  it('says "needs you" while a run waits, distinct from the count of runs merely running', () => {
    render(<NavBar screen="library" liveRuns={1} waiting={1} lab={false} onNavigate={() => undefined} />);
    const runs = screen.getByRole('button', { name: 'Runs' });
    expect(runs.textContent).toContain('needs you');
    expect(runs.querySelector('[data-needs-you="yes"]')).not.toBeNull();
    expect(document.getElementById(runs.getAttribute('aria-describedby') ?? '')?.textContent).toBe('a run needs you');
    cleanup();
    render(<NavBar screen="library" liveRuns={1} waiting={0} lab={false} onNavigate={() => undefined} />);
    expect(screen.getByRole('button', { name: 'Runs' }).textContent).not.toContain('needs you');
  });

  it('shows no count and no description when no run is live', () => {
    render(<NavBar screen="run" liveRuns={0} lab={false} onNavigate={() => undefined} />);
    const runs = screen.getByRole('button', { name: 'Runs' });
    expect(runs.getAttribute('aria-describedby')).toBeNull();
    expect(runs.getAttribute('aria-current')).toBe('page');
  });
});
