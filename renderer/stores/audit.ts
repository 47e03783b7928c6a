/** The audit history: recorded runs (this machine's and the team's), the filters, the run being read, and a comparison. */
import { create } from 'zustand';
import type { AuditRunDetail, AuditRunSummary, RunComparison, TeamRunListing } from '../../electron/api/contract';

export interface AuditFilters {
  runbook: string;
  environment: string;
  status: string;
  /** YYYY-MM-DD, inclusive. */
  from: string;
  to: string;
}

export const NO_FILTERS: AuditFilters = { runbook: '', environment: '', status: '', from: '', to: '' };

/** A recorded run: in this machine's journals, or in the team database of an environment. */
export interface RunReference {
  runId: string;
  /** Set for a run read from that environment's team database. */
  teamEnvironmentId?: string;
}

interface AuditState {
  runs: AuditRunSummary[];
  loaded: boolean;
  filters: AuditFilters;
  selected?: RunReference;
  detail?: AuditRunDetail;
  error?: string;
  /** The team database's runs, for the environment that has one. */
  team?: { environmentId: string; listing?: TeamRunListing; error?: string };
  /** Up to two runs picked to compare (same runbook). */
  compareIds: string[];
  comparison?: RunComparison;
  comparisonError?: string;
  setRuns(runs: AuditRunSummary[]): void;
  setFilters(filters: Partial<AuditFilters>): void;
  select(reference: RunReference | undefined): void;
  setDetail(detail: AuditRunDetail | undefined, error?: string): void;
  setTeam(team: AuditState['team']): void;
  toggleCompare(runId: string): void;
  setComparison(comparison: RunComparison | undefined, error?: string): void;
}

export const useAuditStore = create<AuditState>()((set) => ({
  runs: [],
  loaded: false,
  filters: NO_FILTERS,
  compareIds: [],
  setRuns: (runs) => set({ runs, loaded: true }),
  setFilters: (filters) => set((state) => ({ filters: { ...state.filters, ...filters } })),
  select: (selected) => set({ selected, detail: undefined, error: undefined, comparison: undefined, comparisonError: undefined }),
  setDetail: (detail, error) => set({ detail, error }),
  setTeam: (team) => set({ team }),
  toggleCompare: (runId) =>
    set((state) => ({
      compareIds: state.compareIds.includes(runId) ? state.compareIds.filter((id) => id !== runId) : [...state.compareIds, runId].slice(-2),
      comparison: undefined,
      comparisonError: undefined,
    })),
  setComparison: (comparison, comparisonError) => set({ comparison, comparisonError }),
}));

/** The runs that pass the filters (pure, for a selector with useShallow). */
export function filterRuns<Run extends { runbookId: string; environment: string; status: string; startedAt: string }>(runs: Run[], filters: AuditFilters): Run[] {
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

/** A run can join the comparison when none is picked yet or it is of the same runbook as the one picked. */
export function canCompareWith(runs: AuditRunSummary[], compareIds: string[], candidate: AuditRunSummary): boolean {
  if (compareIds.includes(candidate.runId)) return true;
  const first = runs.find((run) => run.runId === compareIds[0]);
  return !first || first.runbookId === candidate.runbookId;
}
