/**
 * The shape of a run report (the JSON export, and what ./html-export.ts renders): in its own file so
 * ./export.ts, which builds it and calls the HTML renderer, and ./html-export.ts do not import each other.
 */
import type { DrillReport } from './drill';
import type { ApprovalEvent, StepAwaitingEvent } from './events';
import type { ActionRecord, NoteRecord, RunState, StepState } from './replay';
import type { SnapshotDiff } from './snapshot-diff';
import type { VerifyResult } from './verify';

/** A transcript of the run, linked from the report. */
export interface TranscriptLink {
  /** The terminal's name (`controller01`, `controller01.2`). */
  name: string;
  /** Where the .cast file is, relative to the report (`transcripts/controller01.cast`). */
  href: string;
}

/** The JSON export. */
export interface RunExport {
  format: 'opsdeck-run/1';
  run: Omit<RunState, 'steps' | 'actions' | 'notes' | 'decisions' | 'inFlight' | 'completedOrder' | 'captures' | 'lastSeq' | 'lastHash'>;
  steps: Array<
    StepState & {
      prompts: Array<Omit<StepAwaitingEvent, 'type' | 'step'> & { ts: string }>;
      /** The last lines of output per host. */
      output: Record<string, string[]>;
    }
  >;
  actions: ActionRecord[];
  notes: NoteRecord[];
  decisions: RunState['decisions'];
  captures: Record<string, unknown>;
  verification: {
    verified: boolean;
    ok: boolean | null;
    records: number;
    problems: VerifyResult['problems'];
    lastSeq: number;
    lastHash: string;
  };
  /** Objectives against achieved (drills), phase timings and the slowest steps (every run). */
  drill: DrillReport;
  /** The run's state snapshots (when its environment takes them) and what changed from the first to the last. */
  snapshots?: {
    taken: Array<{ label: string; ts: string; step?: string; probes: number; failed: number }>;
    diff?: SnapshotDiff;
    /** With more than two snapshots (one taken during the run): each against the one before. */
    between?: SnapshotDiff[];
  };
  transcripts: TranscriptLink[];
  /**
   * Two-person approval (docs/approval.md): each request, answer and override, in words, in order.
   * `breakGlass`: the override lines every report shows first, loudly.
   */
  approvals: Array<{ ts: string; step: string; type: ApprovalEvent['type']; text: string }>;
  breakGlass: string[];
  /** ISO time the report was made. */
  generatedAt: string;
}
