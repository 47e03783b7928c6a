import { describe, expect, it } from 'vitest';
import { ByteExactDecoder, decodeByteExact, encodeByteExact, firstInvalidUtf8 } from './utf8';

const samples: Buffer[] = [
  Buffer.from('plain ascii\n'),
  Buffer.from('ünïcödé ☃ 𝄞 done'),
  Buffer.from([0x66, 0x6f, 0xff, 0xfe, 0x6f]),
  Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc]),
  Buffer.from([0xed, 0xa0, 0x80, 0xc0, 0xaf, 0xe0, 0x80, 0xaf, 0xf4, 0x90, 0x80, 0x80]),
  Buffer.concat([Buffer.from('\x1b]52;c;Zm9v\x07 '), Buffer.from([0x80, 0x81]), Buffer.from(' tail ✓')]),
];

describe('byte-exact text', () => {
  it('round-trips every sample, valid or not, through text and JSON', () => {
    for (const bytes of samples) {
      const text = decodeByteExact(bytes);
      expect(encodeByteExact(text).equals(bytes)).toBe(true);
      expect(encodeByteExact(JSON.parse(JSON.stringify(text)) as string).equals(bytes)).toBe(true);
    }
  });

  it('decodes valid UTF-8 exactly as Node does', () => {
    expect(decodeByteExact(samples[1])).toBe(samples[1].toString('utf8'));
  });

  it('keeps every byte whatever the chunking', () => {
    const all = Buffer.concat(samples);
    for (const size of [1, 2, 3, 5, 7, 64]) {
      const decoder = new ByteExactDecoder();
      let text = '';
      for (let at = 0; at < all.length; at += size) text += decoder.write(all.subarray(at, at + size));
      text += decoder.end();
      expect(encodeByteExact(text).equals(all), `chunks of ${size}`).toBe(true);
      expect(text).toBe(decodeByteExact(all));
    }
  });

  it('finds the first byte that is not UTF-8', () => {
    expect(firstInvalidUtf8(Buffer.from('abc'))).toBe(3);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xe2, 0x82]))).toBe(1);
    expect(firstInvalidUtf8(samples[2])).toBe(2);
  });
});
