import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { canRollBack, failedHosts } from '../logic/truth';
import { isRunLive, runNotes, useRunsStore } from '../stores/runs';
import { useUiStore } from '../stores/ui';
import { DrillClockPanel } from './DrillClockPanel';
import { ErrorMessage } from './ErrorMessage';
import { FullOutputView } from './FullOutputView';
import { PromptPanel } from './PromptPanel';
import { RunControls } from './RunControls';
import { RunHeader } from './RunHeader';
import { RunPicker } from './RunPicker';
import { RunStepList } from './RunStepList';
import { RunTerminals } from './RunTerminals';
import { SnapshotButton } from './SnapshotButton';
import { StepDetail } from './StepDetail';

/** A run as it happens: steps, what it waits for, the selected step, and the hosts' output. */
export function RunScreen() {
  const runs = useRunsStore(useShallow((state) => state.order.map((runId) => state.runs[runId])));
  const selectedRunId = useRunsStore((state) => state.selectedRunId ?? state.order[0]);
  const run = useRunsStore((state) => (selectedRunId ? state.runs[selectedRunId] : undefined));
  const selectedStep = useRunsStore((state) => (selectedRunId ? state.selectedStep[selectedRunId] : undefined));
  const navigate = useUiStore((state) => state.navigate);
  const error = useRunsStore((state) => (selectedRunId ? state.actionError[selectedRunId] : undefined));
  const [fullOutput, setFullOutput] = useState<{ runId: string; step?: string; host?: string }>();

  if (!run) {
    return (
      <div className="screen">
        <h1>Runs</h1>
        <p className="muted">No run in this session yet.</p>
        <button type="button" onClick={() => navigate('library')}>
          Choose a runbook
        </button>
      </div>
    );
  }

  const { act } = useRunsStore.getState();
  const runId = run.runId;
  const steps = run.stepOrder.map((key) => run.steps[key]);
  const waiting = Object.keys(run.pending);
  // The step needing the operator is shown unless the operator picked another.
  const focusKey = selectedStep ?? waiting[0] ?? steps.find((step) => step.status === 'running')?.key ?? steps[0]?.key;
  const focus = focusKey ? run.steps[focusKey] : undefined;
  const notes = runNotes(run);
  const failing = Object.values(run.pending)
    .filter((prompt) => prompt.need === 'failure')
    .flatMap((prompt) => (run.steps[prompt.step] ? failedHosts(run.steps[prompt.step]) : []));

  return (
    <div className="screen run-screen">
      <RunPicker runs={runs} selectedId={runId} onSelect={(id) => useRunsStore.getState().selectRun(id)} />
      <RunHeader run={run} />
      <RunControls
        status={run.gone ? 'interrupted' : run.status}
        canRollBack={canRollBack(run)}
        onPause={() => void act('run:pause', { runId })}
        onResume={() => void act('run:resume', { runId })}
        onAbort={(reason, rollback) => void act('run:abort', { runId, reason, rollback })}
      />
      <SnapshotButton
        live={!run.gone && isRunLive(run.status)}
        onSnapshot={async (label) => {
          const reply = await useRunsStore.getState().snapshot({ runId, label });
          return reply.ok ? reply.value : { error: reply.error.userMessage };
        }}
      />
      <ErrorMessage message={error} />
      <PromptPanel
        prompts={Object.values(run.pending)}
        runId={runId}
        steps={run.steps}
        handlers={{
          confirm: (step, text) => void act('run:confirm', { runId, step, text }),
          decide: (step, choice) => void act('run:decide', { runId, step, choice }),
          complete: (step, outcome, note) => void act('run:completeManual', { runId, step, outcome, note: note || undefined }),
          retry: (step) => void act('run:resolveFailure', { runId, step, action: 'retry' }),
          retryFailed: (step) => void act('run:resolveFailure', { runId, step, action: 'retry-failed' }),
          skip: (step, reason) => void act('run:resolveFailure', { runId, step, action: 'skip', reason }),
          breakGlass: (step, reason) => void act('run:overrideApproval', { runId, step, reason }),
        }}
      />
      {run.drill?.reading && <DrillClockPanel reading={run.drill.reading} />}
      {notes.length > 0 && (
        <ul className="notes" aria-label="Notes">
          {notes.slice(-5).map((note, index) => (
            <li key={index} className={`note ${note.level}`} data-source={note.source ?? 'journal'}>
              {note.source && <span className="badge">{note.source}</span>} {note.step && <code>{note.step}</code>} {note.message}
            </li>
          ))}
        </ul>
      )}
      <div className="run-body">
        <div className="pane steps-pane">
          <RunStepList steps={steps} selectedKey={focusKey} waiting={waiting} onSelect={(key) => useRunsStore.getState().selectStep(runId, key)} />
        </div>
        <div className="pane detail-pane">{focus && <StepDetail step={focus} />}</div>
        <div className="pane output-pane">
          <RunTerminals runId={runId} failedHosts={failing} onOpenFullOutput={(host) => setFullOutput({ runId, step: focusKey, host })} />
        </div>
      </div>
      {fullOutput?.runId === runId && (
        <FullOutputView
          runId={runId}
          step={fullOutput.step}
          hosts={run.hosts}
          initialHost={fullOutput.host}
          live={isRunLive(run.status)}
          onClose={() => setFullOutput(undefined)}
        />
      )}
    </div>
  );
}
