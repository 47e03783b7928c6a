import { describe, expect, it } from 'vitest';
import { SshChannelError } from './errors';

const host = { name: 'compute01', address: '10.0.0.11', port: 22 };

describe('SshChannelError', () => {
  it('names what the server said, whether the cause is an Error, a text or a plain object', () => {
    expect(new SshChannelError(host, 'a command channel', { cause: new Error('open failed') }).userMessage).toContain('(open failed)');
    expect(new SshChannelError(host, 'a command channel', { cause: 'administratively prohibited' }).userMessage).toContain('(administratively prohibited)');
    const message = new SshChannelError(host, 'a command channel', { cause: { reason: 2, description: 'open failed' } }).userMessage;
    expect(message).toContain("description: 'open failed'");
    expect(message).not.toContain('[object Object]');
  });
});
