import { useState } from 'react';
import { terminals } from '../terminals/registry';
import { TerminalToolbar } from './TerminalToolbar';
import { TerminalView } from './TerminalView';

/** A terminal with its search and copy bar. */
export function TerminalPane({ terminalId, note }: { terminalId: string; note?: string }) {
  const [copied, setCopied] = useState<string>();
  return (
    <div className="terminal-pane">
      <TerminalToolbar
        note={copied ?? note}
        onFind={(text, direction) => terminals().find(terminalId, text, direction)}
        onClearSearch={() => terminals().clearSearch(terminalId)}
        onCopy={() => {
          const text = terminals().selection(terminalId);
          navigator.clipboard?.writeText(text).then(
            () => setCopied(`copied ${text.length} characters`),
            () => setCopied('the browser refused the clipboard'),
          );
        }}
      />
      <TerminalView terminalId={terminalId} />
    </div>
  );
}
