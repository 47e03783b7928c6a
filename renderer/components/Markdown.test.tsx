import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { Markdown, renderMarkdown } from './Markdown';

afterEach(cleanup);

describe('Markdown (runbook descriptions)', () => {
  it('renders Markdown', () => {
    const { container } = render(<Markdown text={'When to use it: **never** at peak.\n\n- one\n- two\n\n`nova service-list`'} />);
    expect(container.querySelector('strong')?.textContent).toBe('never');
    expect(container.querySelectorAll('li')).toHaveLength(2);
    expect(container.querySelector('code')?.textContent).toBe('nova service-list');
  });

  it('keeps a runbook\u2019s own HTML and script links as text, never as elements', () => {
    const html = renderMarkdown('<script>alert(1)</script> <img src=x onerror="alert(2)"> [click](javascript:alert(3))');
    const { container } = render(<Markdown text={'<script>alert(1)</script> <img src=x onerror="alert(2)"> [click](javascript:alert(3))'} />);
    expect(container.querySelector('script, img')).toBeNull();
    expect(container.querySelector('a')).toBeNull();
    expect(html).toContain('&lt;script&gt;');
    expect(container.textContent).toContain('<img src=x onerror="alert(2)">');
  });
});
