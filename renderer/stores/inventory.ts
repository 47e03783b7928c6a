/** Environments, the chosen one, host check results and the lab's state. */
import { create } from 'zustand';
import type { EnvironmentSummary, HostCheckResult, LabStatus } from '../../electron/api/contract';

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
}

export const useInventoryStore = create<InventoryState>()((set) => ({
  environments: [],
  loaded: false,
  hostChecks: {},
  setEnvironments: (environments) =>
    set((state) => ({
      environments,
      loaded: true,
      // The first environment is chosen for the operator only when there is exactly one choice.
      selectedEnvironmentId:
        state.selectedEnvironmentId && environments.some((environment) => environment.environmentId === state.selectedEnvironmentId)
          ? state.selectedEnvironmentId
          : environments.length === 1
            ? environments[0].environmentId
            : undefined,
    })),
  selectEnvironment: (environmentId) => set({ selectedEnvironmentId: environmentId }),
  applyHostCheck: (result) =>
    set((state) => ({
      hostChecks: {
        ...state.hostChecks,
        [result.environmentId]: { ...state.hostChecks[result.environmentId], [result.host]: result },
      },
    })),
  setLab: (lab) => set({ lab }),
}));

/** The chosen environment, if any. */
export function selectedEnvironment(state: Pick<InventoryState, 'environments' | 'selectedEnvironmentId'>): EnvironmentSummary | undefined {
  return state.environments.find((environment) => environment.environmentId === state.selectedEnvironmentId);
}
