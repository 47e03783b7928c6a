/** Host leases of the chosen environment (who holds which host for which run), and the last breaks. */
import { create } from 'zustand';
import type { LocksListing } from '../../electron/api/contract';

interface LocksState {
  environmentId?: string;
  listing?: LocksListing;
  error?: string;
  set(environmentId: string, listing: LocksListing | undefined, error?: string): void;
}

export const useLocksStore = create<LocksState>()((set) => ({
  set: (environmentId, listing, error) => set({ environmentId, listing, error }),
}));
