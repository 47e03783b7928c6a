import { describe, expect, it } from 'vitest';

/** Every component's source, as text (Vite reads them at build time: no Node in the renderer). */
const sources = import.meta.glob<string>('./*.tsx', { query: '?raw', import: 'default', eager: true });

describe('components', () => {
  it("reach the backend only through the stores' actions, never by calling the API themselves", () => {
    expect(Object.keys(sources).length).toBeGreaterThan(50);
    const calling = Object.entries(sources)
      .filter(([file, text]) => !file.endsWith('.test.tsx') && /from '\.\.\/api\/client'|\bapi\(\)/.test(text))
      .map(([file]) => file);
    expect(calling).toEqual([]);
  });
});
