import { useEffect, useRef } from 'react';
import { terminals } from '../terminals/registry';

/** Shows one terminal of the registry; the terminal lives on when this view goes away. */
export function TerminalView({ terminalId }: { terminalId: string }) {
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!container.current) return;
    return terminals().attach(terminalId, container.current);
  }, [terminalId]);
  return <div className="terminal-view" ref={container} data-terminal={terminalId} />;
}
