/** One domain of the console's api/ contract: a typed part of ConsoleService's handler map (service.ts). */
import path from 'node:path';
import type { LabStatus } from '../api/contract';
import { OpsError, userMessageOf } from '../core/errors';
import { sshdLabProvider, type LabProvider, type RunningLab } from './lab';
import { ServiceContext, type HandlerMap } from './service-context';

/** The local lab (`lab:*`): sshd hosts on loopback the operator can try runbooks on. */
export class LabHandlers {
  private readonly lab: LabProvider;
  private labState: LabStatus['state'] = 'stopped';
  private labMessage: string | undefined;
  private runningLab: RunningLab | undefined;
  private labEnvironmentId: string | undefined;

  constructor(private readonly context: ServiceContext) {
    this.lab = context.options.lab ?? sshdLabProvider();
  }

  handlers(): HandlerMap<'lab:status' | 'lab:start'> {
    return {
      'lab:status': () => this.labStatus(),
      'lab:start': () => this.startLab(),
    };
  }

  private labStatus(): LabStatus {
    const { available, reason } = this.lab.availability();
    return { available, reason, state: this.labState, environmentId: this.labEnvironmentId, message: this.labMessage };
  }

  private async startLab(): Promise<LabStatus> {
    const { available, reason } = this.lab.availability();
    if (!available) throw new OpsError('lab-unavailable', reason ?? 'The lab cannot run on this machine.');
    if (this.labState === 'running' || this.labState === 'starting') return this.labStatus();
    this.labState = 'starting';
    this.labMessage = 'Starting sshd for controller01, compute01 and compute02 on loopback…';
    this.context.emit({ name: 'lab:status', payload: this.labStatus() });
    try {
      this.runningLab = await this.lab.start();
      const file = path.resolve(this.runningLab.envFile);
      this.context.extraEnvironmentFiles.add(file);
      this.labEnvironmentId = file;
      this.labState = 'running';
      this.labMessage = undefined;
    } catch (error) {
      this.labState = 'failed';
      this.labMessage = `The lab did not start: ${userMessageOf(error)}`;
      this.context.emit({ name: 'lab:status', payload: this.labStatus() });
      throw new OpsError('lab-failed', this.labMessage, { cause: error });
    }
    this.context.emit({ name: 'lab:status', payload: this.labStatus() });
    this.context.emit({ name: 'environment:changed', payload: await this.context.listEnvironments() });
    return this.labStatus();
  }

  /** Stops the lab when it runs (the console is closing). */
  async stop(): Promise<void> {
    if (this.runningLab) await this.runningLab.stop().catch(() => undefined);
    this.runningLab = undefined;
  }
}
