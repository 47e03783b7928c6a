/** Which screen is showing, and whether the backend can be reached. */
import { create } from 'zustand';
import type { ConnectionChange } from '../api/client';

export type Screen = 'library' | 'environment' | 'start' | 'run' | 'terminals' | 'audit';

/**
 * `connecting` until the backend first answers, `lost` while it cannot be reached (every action is
 * disabled and live runs are "state unknown"), `connected` otherwise.
 */
export type Connection = 'connecting' | 'connected' | 'lost';

interface UiState {
  screen: Screen;
  /** A start-up problem shown above every screen. */
  banner?: string;
  connection: Connection;
  /** Why the connection is lost, and since when (ms since the epoch). */
  connectionMessage?: string;
  lostAt?: number;
  /** The client tries again by itself (false: no attempt can succeed, e.g. the page has no token). */
  retrying?: boolean;
  /** Something asked for the focus to go to the next thing to do (Start, an answer, a link to a prompt). */
  focusRequest: number;
  navigate(screen: Screen): void;
  setBanner(banner: string | undefined): void;
  setConnection(change: ConnectionChange): void;
  requestFocus(): void;
}

/** Where the screen shown is kept (sessionStorage: this tab), so a reload comes back to it. */
const SCREEN_STORAGE_KEY = 'opsdeck.screen';
const SCREENS: readonly Screen[] = ['library', 'environment', 'start', 'run', 'terminals', 'audit'];

function rememberedScreen(): Screen {
  try {
    const screen = globalThis.sessionStorage?.getItem(SCREEN_STORAGE_KEY);
    return SCREENS.find((candidate) => candidate === screen) ?? 'library';
  } catch {
    return 'library';
  }
}

export const useUiStore = create<UiState>()((set) => ({
  screen: rememberedScreen(),
  connection: 'connecting',
  focusRequest: 0,
  navigate: (screen) => {
    try {
      globalThis.sessionStorage?.setItem(SCREEN_STORAGE_KEY, screen);
    } catch {
      // Storage refused: a reload starts on the library.
    }
    set({ screen });
  },
  setBanner: (banner) => set({ banner }),
  setConnection: (change) =>
    set((state) =>
      change.state === 'connected'
        ? { connection: 'connected', connectionMessage: undefined, lostAt: undefined, retrying: undefined }
        : { connection: 'lost', connectionMessage: change.message, retrying: change.retrying, lostAt: state.connection === 'lost' ? state.lostAt : Date.now() },
    ),
  requestFocus: () => set((state) => ({ focusRequest: state.focusRequest + 1 })),
}));

/** True when commands can reach the backend. */
export function isConnected(state: Pick<UiState, 'connection'>): boolean {
  return state.connection === 'connected';
}
