/** The audit history: recorded runs, the filters, and the run being read. */
import { create } from 'zustand';
import type { AuditRunDetail, AuditRunSummary } from '../../electron/api/contract';

export interface AuditFilters {
  runbook: string;
  environment: string;
  status: string;
  /** YYYY-MM-DD, inclusive. */
  from: string;
  to: string;
}

export const NO_FILTERS: AuditFilters = { runbook: '', environment: '', status: '', from: '', to: '' };

interface AuditState {
  runs: AuditRunSummary[];
  loaded: boolean;
  filters: AuditFilters;
  selectedRunId?: string;
  detail?: AuditRunDetail;
  error?: string;
  setRuns(runs: AuditRunSummary[]): void;
  setFilters(filters: Partial<AuditFilters>): void;
  select(runId: string | undefined): void;
  setDetail(detail: AuditRunDetail | undefined, error?: string): void;
}

export const useAuditStore = create<AuditState>()((set) => ({
  runs: [],
  loaded: false,
  filters: NO_FILTERS,
  setRuns: (runs) => set({ runs, loaded: true }),
  setFilters: (filters) => set((state) => ({ filters: { ...state.filters, ...filters } })),
  select: (runId) => set({ selectedRunId: runId, detail: undefined, error: undefined }),
  setDetail: (detail, error) => set({ detail, error }),
}));

/** The runs that pass the filters (pure, for a selector with useShallow). */
export function filterRuns(runs: AuditRunSummary[], filters: AuditFilters): AuditRunSummary[] {
  return runs.filter((run) => {
    const day = run.startedAt.slice(0, 10);
    return (
      (!filters.runbook || run.runbookId === filters.runbook) &&
      (!filters.environment || run.environment === filters.environment) &&
      (!filters.status || run.status === filters.status) &&
      (!filters.from || day >= filters.from) &&
      (!filters.to || day <= filters.to)
    );
  });
}
