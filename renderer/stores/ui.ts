/** Which screen is showing. */
import { create } from 'zustand';

export type Screen = 'library' | 'environment' | 'start' | 'run' | 'terminals' | 'audit';

interface UiState {
  screen: Screen;
  /** A connection or start-up problem shown above every screen. */
  banner?: string;
  navigate(screen: Screen): void;
  setBanner(banner: string | undefined): void;
}

export const useUiStore = create<UiState>()((set) => ({
  screen: 'library',
  navigate: (screen) => set({ screen }),
  setBanner: (banner) => set({ banner }),
}));
