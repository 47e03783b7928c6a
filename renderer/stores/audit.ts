/**
 * The audit history: recorded runs (this machine's and the team's), the filters, the run being read,
 * a comparison and the terminal recordings, with the actions that read them from the backend.
 * Transcripts, casts and exported reports are read through actions too, but handed to the view that
 * asked instead of kept here: they can be megabytes and belong to one open panel.
 */
import { create } from 'zustand';
import type {
  AuditExport,
  AuditRunDetail,
  AuditRunFacts,
  AuditRunSummary,
  CastText,
  CommandRequest,
  Result,
  RunComparison,
  TeamRunListing,
  TerminalRecording,
  Transcript,
} from '../../electron/api/contract';
import { api } from '../api/client';

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

/** The most runs whose facts are asked for at once (the contract's bound). */
const FACTS_AT_MOST = 500;

interface AuditState {
  runs: AuditRunSummary[];
  /** The list was read (set back to false when a run finishes: it is read again when shown). */
  loaded: boolean;
  /** Why the list could not be read. */
  listError?: string;
  filters: AuditFilters;
  selected?: RunReference;
  detail?: AuditRunDetail;
  /** Why the selected run could not be read. */
  error?: string;
  /** Each listed run's facts from its whole journal (skipped steps, verified, drill), by run id. */
  facts: Record<string, AuditRunFacts>;
  /** The team database's runs, for the environment that has one. */
  team?: { environmentId: string; listing?: TeamRunListing; error?: string };
  /** Up to two runs picked to compare (same runbook). */
  compareIds: string[];
  comparison?: RunComparison;
  comparisonError?: string;
  /** Host terminal recordings, newest first (undefined until read). */
  recordings?: TerminalRecording[];
  recordingsError?: string;
  setRuns(runs: AuditRunSummary[]): void;
  setFilters(filters: Partial<AuditFilters>): void;
  select(reference: RunReference | undefined): void;
  setDetail(detail: AuditRunDetail | undefined, error?: string): void;
  setTeam(team: AuditState['team']): void;
  toggleCompare(runId: string): void;
  setComparison(comparison: RunComparison | undefined, error?: string): void;
  /** Reads this machine's recorded runs. */
  load(): Promise<void>;
  /** Reads the team database's runs of an environment; undefined forgets them (no team database). */
  loadTeam(environmentId: string | undefined): Promise<void>;
  /** Reads a recorded run in full; the reply is dropped when another run was selected meanwhile. */
  loadDetail(reference: RunReference): Promise<void>;
  /** Reads the facts of these runs (the first {@link FACTS_AT_MOST}), keeping those already known. */
  loadFacts(runIds: string[]): Promise<void>;
  /** Compares the two runs picked. */
  compare(): Promise<void>;
  loadRecordings(): Promise<void>;
  /** A transcript of a local run, as text. */
  readTranscript(runId: string, name: string): Promise<Result<Transcript>>;
  /** A run's transcript or a host terminal recording, to play with seek. */
  readCast(request: CommandRequest<'audit:cast'>): Promise<Result<CastText>>;
  /** A recorded run's report as a file to save. */
  exportReport(reference: RunReference, format: CommandRequest<'audit:export'>['format']): Promise<Result<AuditExport>>;
}

const sameReference = (a: RunReference | undefined, b: RunReference): boolean => a?.runId === b.runId && a?.teamEnvironmentId === b.teamEnvironmentId;
const teamPart = (reference: RunReference) => (reference.teamEnvironmentId ? { teamEnvironmentId: reference.teamEnvironmentId } : {});

export const useAuditStore = create<AuditState>()((set, get) => ({
  runs: [],
  loaded: false,
  filters: NO_FILTERS,
  facts: {},
  compareIds: [],
  setRuns: (runs) => set({ runs, loaded: true, listError: undefined }),
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
  load: async () => {
    const result = await api().call('audit:list', {});
    // A list that cannot be read says so (it used to stay empty, as if nothing had been recorded).
    if (result.ok) get().setRuns(result.value);
    else set({ loaded: true, listError: result.error.userMessage });
  },
  loadTeam: async (environmentId) => {
    if (!environmentId) return get().setTeam(undefined);
    const result = await api().call('audit:teamList', { environmentId });
    get().setTeam({ environmentId, ...(result.ok ? { listing: result.value } : { error: result.error.userMessage }) });
  },
  loadDetail: async (reference) => {
    const result = await api().call('audit:show', { runId: reference.runId, ...teamPart(reference) });
    if (!sameReference(get().selected, reference)) return;
    get().setDetail(result.ok ? result.value : undefined, result.ok ? undefined : result.error.userMessage);
  },
  loadFacts: async (runIds) => {
    const wanted = runIds.slice(0, FACTS_AT_MOST);
    if (wanted.length === 0) return;
    const result = await api().call('audit:facts', { runIds: wanted });
    if (result.ok) set((state) => ({ facts: { ...state.facts, ...result.value } }));
  },
  compare: async () => {
    const [a, b] = get().compareIds;
    if (!a || !b) return;
    const result = await api().call('audit:compare', { a: { runId: a }, b: { runId: b } });
    get().setComparison(result.ok ? result.value : undefined, result.ok ? undefined : result.error.userMessage);
  },
  loadRecordings: async () => {
    const result = await api().call('audit:recordings', {});
    set(result.ok ? { recordings: result.value, recordingsError: undefined } : { recordingsError: result.error.userMessage });
  },
  readTranscript: (runId, name) => api().call('audit:transcript', { runId, name }),
  readCast: (request) => api().call('audit:cast', request),
  exportReport: (reference, format) => api().call('audit:export', { runId: reference.runId, format, ...teamPart(reference) }),
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
