/** Host leases of the chosen environment (who holds which host for which run), and the last breaks, with their actions. */
import { create } from 'zustand';
import type { LeaseBreak, LocksListing } from '../../electron/api/contract';
import { api } from '../api/client';

interface LocksState {
  environmentId?: string;
  listing?: LocksListing;
  error?: string;
  set(environmentId: string, listing: LocksListing | undefined, error?: string): void;
  /** Reads the environment's leases. */
  load(environmentId: string): Promise<void>;
  /** Breaks a lease with a reason (recorded with the operator's name), then reads the leases again. */
  breakLease(environmentId: string, host: string, reason: string): Promise<{ ok: true; value: LeaseBreak } | { ok: false; message: string }>;
}

export const useLocksStore = create<LocksState>()((set, get) => ({
  set: (environmentId, listing, error) => set({ environmentId, listing, error }),
  load: async (environmentId) => {
    const result = await api().call('locks:list', { environmentId });
    get().set(environmentId, result.ok ? result.value : undefined, result.ok ? undefined : result.error.userMessage);
  },
  breakLease: async (environmentId, host, reason) => {
    const result = await api().call('locks:break', { environmentId, host, reason });
    void get().load(environmentId);
    return result.ok ? { ok: true, value: result.value } : { ok: false, message: result.error.userMessage };
  },
}));
