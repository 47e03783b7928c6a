/** Destructive steps of the chosen environment waiting for a second operator (two-person approval), with the answer action. */
import { create } from 'zustand';
import type { ApprovalListing } from '../../electron/api/contract';
import { api } from '../api/client';

interface ApprovalsState {
  environmentId?: string;
  listing?: ApprovalListing;
  /** The environment does not ask for two-person approval: nothing to show. */
  off?: boolean;
  error?: string;
  load(environmentId: string): Promise<void>;
  answer(
    environmentId: string,
    runId: string,
    step: string,
    decision: 'approve' | 'refuse',
    reason: string,
  ): Promise<{ ok: true; message: string } | { ok: false; message: string }>;
}

export const useApprovalsStore = create<ApprovalsState>()((set, get) => ({
  load: async (environmentId) => {
    const result = await api().call('approval:list', { environmentId });
    if (result.ok) set({ environmentId, listing: result.value, off: false, error: undefined });
    else
      set({
        environmentId,
        listing: undefined,
        off: result.error.code === 'approval-not-found',
        error: result.error.code === 'approval-not-found' ? undefined : result.error.userMessage,
      });
  },
  answer: async (environmentId, runId, step, decision, reason) => {
    const result = await api().call('approval:answer', { environmentId, runId, step, decision, reason });
    void get().load(environmentId);
    return result.ok
      ? { ok: true, message: `${decision === 'approve' ? 'Approved' : 'Refused'} step ${step} of run ${runId} as ${result.value.approver} (${result.value.proof}).` }
      : { ok: false, message: result.error.userMessage };
  },
}));
