import type { PlanStep, RunPlan } from '../../electron/api/contract';

/** What a plan risks, before Start: steps, destructive ones and their confirmations, sudo, the rollback, the hosts. */
export function riskOf(plan: RunPlan) {
  const destructive = plan.steps.filter((step) => step.destructive);
  const undone = new Set(plan.rollback.map((step) => step.undoes).filter((key): key is string => !!key));
  return {
    steps: plan.steps.length,
    destructive: destructive.map((step: PlanStep) => ({ key: step.key, title: step.title, confirm: step.destructive?.confirm, undone: undone.has(step.key) })),
    sudo: plan.steps.filter((step) => step.sudo).length,
    rollback: plan.rollback.length,
    hosts: plan.hosts,
  };
}

export function RiskSummary({ plan }: { plan: RunPlan }) {
  const risk = riskOf(plan);
  return (
    <section className="risk-summary" aria-label="Risk summary">
      <strong>Before you start</strong>
      <ul>
        <li>
          {risk.steps} step{risk.steps === 1 ? '' : 's'}
          {risk.sudo > 0 && <>, {risk.sudo} with sudo</>}
        </li>
        <li>
          {risk.destructive.length === 0 ? (
            'No destructive step.'
          ) : (
            <>
              {risk.destructive.length} destructive step{risk.destructive.length === 1 ? '' : 's'}, each waiting for a typed confirmation:{' '}
              {risk.destructive.map((step, index) => (
                <span key={step.key}>
                  {index > 0 && '; '}
                  {step.title} (type “{step.confirm ?? '?'}”{step.undone ? ', has an undo' : ', no undo'})
                </span>
              ))}
            </>
          )}
        </li>
        <li>
          {risk.rollback > 0
            ? `Rollback: ${risk.rollback} step${risk.rollback === 1 ? '' : 's'}, run on abort with rollback for what completed.`
            : 'No rollback: nothing is undone by the console if you abort.'}
        </li>
        <li>Hosts touched: {risk.hosts.length > 0 ? risk.hosts.join(', ') : 'none known before the run'}</li>
      </ul>
    </section>
  );
}
