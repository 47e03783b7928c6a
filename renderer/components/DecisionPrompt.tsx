/** A decision step: the question and one button per choice. */
export function DecisionPrompt({ prompt, choices, onChoose }: {
  prompt: string;
  choices: Array<{ id: string; label: string }>;
  onChoose: (choice: string) => void;
}) {
  return (
    <div className="prompt decision" role="group" aria-label="Decision">
      <p className="prompt-title">Decision</p>
      <pre className="prompt-text">{prompt}</pre>
      <div className="actions">
        {choices.map((choice) => (
          <button key={choice.id} type="button" onClick={() => onChoose(choice.id)} data-choice={choice.id}>
            {choice.label}
          </button>
        ))}
      </div>
    </div>
  );
}
