/**
 * Terminals: which exist, which tab is showing, which have closed. Only metadata: the bytes go from
 * the API straight into xterm.js (../terminals/registry.ts), never through React or this store.
 */
import { create } from 'zustand';
import type { TerminalInfo } from '../../electron/api/contract';
import { api } from '../api/client';
import { terminals } from '../terminals/registry';

export interface TerminalEntry extends TerminalInfo {
  closed: boolean;
  exitCode?: number | null;
}

interface SessionsState {
  terminals: Record<string, TerminalEntry>;
  /** Shell terminals in the order they were opened. */
  shellOrder: string[];
  activeShellId?: string;
  /** runId → host whose output tab is showing. */
  activeRunHost: Record<string, string | undefined>;
  opened(info: TerminalInfo): void;
  closed(terminalId: string, exitCode: number | null): void;
  removed(terminalId: string): void;
  showShell(terminalId: string): void;
  showRunHost(runId: string, host: string): void;
  /** Opens a host terminal and shows it; resolves to the refusal, if any. */
  openShell(environmentId: string, host: string): Promise<string | undefined>;
  /** Closes a host terminal (its connection too, if still open) and removes its tab. */
  closeShell(terminalId: string): void;
}

export const useSessionsStore = create<SessionsState>()((set, get) => ({
  terminals: {},
  shellOrder: [],
  activeRunHost: {},
  opened: (info) =>
    set((state) => ({
      terminals: { ...state.terminals, [info.terminalId]: { ...info, closed: false } },
      shellOrder: info.kind === 'shell' && !state.shellOrder.includes(info.terminalId) ? [...state.shellOrder, info.terminalId] : state.shellOrder,
      activeShellId: info.kind === 'shell' ? info.terminalId : state.activeShellId,
    })),
  closed: (terminalId, exitCode) =>
    set((state) => (state.terminals[terminalId] ? { terminals: { ...state.terminals, [terminalId]: { ...state.terminals[terminalId], closed: true, exitCode } } } : state)),
  removed: (terminalId) =>
    set((state) => {
      const terminals = { ...state.terminals };
      delete terminals[terminalId];
      const shellOrder = state.shellOrder.filter((id) => id !== terminalId);
      return { terminals, shellOrder, activeShellId: state.activeShellId === terminalId ? shellOrder.at(-1) : state.activeShellId };
    }),
  showShell: (terminalId) => set({ activeShellId: terminalId }),
  showRunHost: (runId, host) => set((state) => ({ activeRunHost: { ...state.activeRunHost, [runId]: host } })),
  openShell: async (environmentId, host) => {
    const result = await api().call('terminal:open', { environmentId, host, cols: 120, rows: 32 });
    if (!result.ok) return result.error.userMessage;
    get().showShell(result.value.terminalId);
    return undefined;
  },
  closeShell: (terminalId) => {
    const entry = get().terminals[terminalId];
    if (entry && !entry.closed) void api().call('terminal:close', { terminalId });
    terminals().dispose(terminalId);
    get().removed(terminalId);
  },
}));

/** The id of a run's output terminal for one host (as main names it). */
export { runTerminalId } from '../../electron/api/wire';
