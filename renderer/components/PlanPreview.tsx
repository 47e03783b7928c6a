import type { PlanStep, RunPlan } from '../../electron/api/contract';

function PlanStepItem({ step }: { step: PlanStep }) {
  return (
    <li className={step.destructive ? 'plan-step destructive' : 'plan-step'} style={{ marginLeft: `${step.depth * 1.25}rem` }} data-plan-step={step.key}>
      <div className="plan-step-head">
        <code>{step.key}</code> <span className="kind">{step.kind}</span> {step.title}
        {step.destructive && <span className="badge danger">destructive: type “{step.destructive.confirm}”</span>}
      </div>
      {step.targetNote && <div className="muted small">{step.targetNote}</div>}
      {step.commands.map((command) => (
        <div key={command.host} className="plan-command">
          <span className="host">{command.host}</span>
          <pre className="command">{command.command}</pre>
        </div>
      ))}
      {step.prompt && <pre className="plan-prompt">{step.prompt}</pre>}
      {step.choices && <div className="small">choices: {step.choices.map((choice) => choice.label).join(' · ')}</div>}
      {step.checks.length > 0 && <div className="small muted">checks: {step.checks.join('; ')}</div>}
      {step.captures.length > 0 && <div className="small muted">captures: {step.captures.join('; ')}</div>}
    </li>
  );
}

/** The resolved plan: every command and the host it runs on, before anything runs. */
export function PlanPreview({ plan }: { plan: RunPlan }) {
  return (
    <section className="plan-preview" aria-label="Plan">
      <h2>
        Plan: {plan.runbookTitle} on {plan.environmentName} {plan.lab && <span className="badge lab">LAB</span>}
      </h2>
      <p className="small">
        Hosts touched: {plan.hosts.join(', ') || 'none known before the run'} · Parameters:{' '}
        {Object.entries(plan.params)
          .map(([name, value]) => `${name}=${Array.isArray(value) ? value.join(',') : String(value)}`)
          .join(', ') || 'none'}
      </p>
      <ol className="plan-steps">
        {plan.steps.map((step) => (
          <PlanStepItem key={step.key} step={step} />
        ))}
      </ol>
      {plan.rollback.length > 0 && (
        <>
          <h3>Rollback (on abort with rollback, for the steps that completed)</h3>
          <ol className="plan-steps">
            {plan.rollback.map((step) => (
              <PlanStepItem key={step.key} step={step} />
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
