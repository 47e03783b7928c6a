import { Shortcut } from './Shortcut';

/** A decision step: the question and one button per choice (keys 1–9 choose, shown on each). */
export function DecisionPrompt({ prompt, choices, onChoose }: { prompt: string; choices: Array<{ id: string; label: string }>; onChoose: (choice: string) => void }) {
  return (
    <div className="prompt decision" role="group" aria-label="Decision">
      <p className="prompt-title">Decision</p>
      <pre className="prompt-text">{prompt}</pre>
      <div className="actions">
        {choices.map((choice, index) => (
          <button
            key={choice.id}
            type="button"
            onClick={() => onChoose(choice.id)}
            data-choice={choice.id}
            data-next-action={index === 0 ? '' : undefined}
            aria-keyshortcuts={index < 9 ? String(index + 1) : undefined}
          >
            {choice.label} {index < 9 && <Shortcut keys={String(index + 1)} />}
          </button>
        ))}
      </div>
    </div>
  );
}
