import { describe, expect, it } from 'vitest';
import { jsonString, jsonStringCrlf, utf8Bytes } from './json-text';

/** Random text over an alphabet with every character the encoders treat specially. */
function randomText(seed: number, length: number): string {
  const alphabet = ['a', 'Z', ' ', '\n', '\r', '\t', '"', '\\', '\u0000', '\u001b', '\u007f', 'é', '中', '\u{1F600}', '\udc80', '\ud800', 'n', 'u'];
  let state = seed;
  let text = '';
  for (let index = 0; index < length; index++) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    text += alphabet[state % alphabet.length];
  }
  return text;
}

describe('json-text', () => {
  it('encodes exactly as JSON.stringify, long texts (remembered) and short ones alike', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const text = randomText(seed, seed % 2 ? 40 : 3000);
      expect(jsonString(text)).toBe(JSON.stringify(text));
      // Asked twice (the journal, then the transcript): the same answer.
      expect(jsonString(text)).toBe(JSON.stringify(text));
    }
  });

  it('turns lone \\n and \\r\\n into \\r\\n exactly as the regex did, with or without \\r and \\ in the text', () => {
    const cases = [
      'plain line\nnext line\n',
      'a "quoted" word\tand a tab\n\n',
      'already\r\nCRLF\n',
      'a backslash \\n is not a newline\n',
      'x'.repeat(2000) + '\n' + 'y'.repeat(2000),
      ...Array.from({ length: 200 }, (_, index) => randomText(1000 + index, index % 2 ? 50 : 2500)),
    ];
    for (const text of cases) {
      const expected = JSON.stringify(text.replace(/\r?\n/g, '\r\n'));
      // Encoded for the journal first (the memo holds it), and without that.
      jsonString(text);
      expect(jsonStringCrlf(text)).toBe(expected);
      jsonString('something else entirely, long enough to be remembered'.repeat(30));
      expect(jsonStringCrlf(text)).toBe(expected);
    }
  });

  it('gives the UTF-8 bytes Buffer.from gives, ASCII or not, with room for more after them', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const text = seed % 3 ? randomText(seed, 500) : 'ascii only ' + String(seed).repeat(50);
      const { bytes, length } = utf8Bytes(text, 7);
      expect(bytes.length).toBe(length + 7);
      expect(bytes.subarray(0, length).equals(Buffer.from(text, 'utf8'))).toBe(true);
    }
  });
});
