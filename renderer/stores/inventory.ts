/**
 * Environments, the chosen one, host check results and the lab's state, with the actions that fetch
 * and change them. The chosen environment is kept in the browser's storage (its id, never a secret),
 * so a reload or a reconnect comes back to it.
 */
import { create } from 'zustand';
import type { CommandReply, CommandRequest, EnvironmentSummary, HostCheckResult, ImportPreview, LabStatus, Result } from '../../electron/api/contract';
import { api } from '../api/client';

/** Where the chosen environment's id is kept (localStorage: this origin; survives a reload). */
export const ENVIRONMENT_STORAGE_KEY = 'opsdeck.environment';

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

function remembered(): string | undefined {
  try {
    return storage()?.getItem(ENVIRONMENT_STORAGE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

function remember(environmentId: string | undefined): void {
  try {
    if (environmentId) storage()?.setItem(ENVIRONMENT_STORAGE_KEY, environmentId);
    else storage()?.removeItem(ENVIRONMENT_STORAGE_KEY);
  } catch {
    // Storage refused (privacy mode): the choice lasts until a reload.
  }
}

interface InventoryState {
  environments: EnvironmentSummary[];
  loaded: boolean;
  selectedEnvironmentId?: string;
  /** environmentId → host → last result. */
  hostChecks: Record<string, Record<string, HostCheckResult>>;
  lab?: LabStatus;
  setEnvironments(environments: EnvironmentSummary[]): void;
  selectEnvironment(environmentId: string | undefined): void;
  applyHostCheck(result: HostCheckResult): void;
  setLab(lab: LabStatus): void;
  /** Actions: each returns the error a person can read, or undefined. */
  startLab(): Promise<string | undefined>;
  /** Opens an environment file and chooses it. */
  openEnvironmentFile(file: string): Promise<string | undefined>;
  checkHosts(environmentId: string): Promise<string | undefined>;
  acceptHostKey(environmentId: string, host: string, fingerprint: string): Promise<string | undefined>;
  /** What an inventory import would make (nothing is saved); the preview is the caller's to show. */
  previewImport(request: CommandRequest<'environment:importPreview'>): Promise<Result<ImportPreview>>;
  /** Saves an imported inventory as an environment file and chooses it. */
  saveImport(request: CommandRequest<'environment:importSave'>): Promise<Result<CommandReply<'environment:importSave'>>>;
}

export const useInventoryStore = create<InventoryState>()((set, get) => ({
  environments: [],
  loaded: false,
  hostChecks: {},
  setEnvironments: (environments) =>
    set((state) => {
      const known = (id: string | undefined) => id !== undefined && environments.some((environment) => environment.environmentId === id);
      // The operator's choice (this window's, else the one remembered from before a reload); the
      // first environment is chosen for the operator only when there is exactly one choice.
      const chosen = known(state.selectedEnvironmentId)
        ? state.selectedEnvironmentId
        : known(remembered())
          ? remembered()
          : environments.length === 1
            ? environments[0].environmentId
            : undefined;
      return { environments, loaded: true, selectedEnvironmentId: chosen };
    }),
  selectEnvironment: (environmentId) => {
    remember(environmentId);
    set({ selectedEnvironmentId: environmentId });
  },
  applyHostCheck: (result) =>
    set((state) => ({
      hostChecks: {
        ...state.hostChecks,
        [result.environmentId]: { ...state.hostChecks[result.environmentId], [result.host]: result },
      },
    })),
  setLab: (lab) => set({ lab }),
  startLab: async () => {
    const result = await api().call('lab:start', {});
    if (result.ok) get().setLab(result.value);
    return result.ok ? undefined : result.error.userMessage;
  },
  openEnvironmentFile: async (file) => {
    const result = await api().call('environment:open', { file });
    if (result.ok) get().selectEnvironment(result.value.environmentId);
    return result.ok ? undefined : result.error.userMessage;
  },
  checkHosts: async (environmentId) => {
    const result = await api().call('hosts:check', { environmentId });
    return result.ok ? undefined : result.error.userMessage;
  },
  acceptHostKey: async (environmentId, host, fingerprint) => {
    const result = await api().call('hosts:acceptKey', { environmentId, host, fingerprint });
    return result.ok ? undefined : result.error.userMessage;
  },
  previewImport: (request) => api().call('environment:importPreview', request),
  saveImport: async (request) => {
    const result = await api().call('environment:importSave', request);
    if (result.ok) get().selectEnvironment(result.value.environment.environmentId);
    return result;
  },
}));

/** The chosen environment, if any. */
export function selectedEnvironment(state: Pick<InventoryState, 'environments' | 'selectedEnvironmentId'>): EnvironmentSummary | undefined {
  return state.environments.find((environment) => environment.environmentId === state.selectedEnvironmentId);
}
