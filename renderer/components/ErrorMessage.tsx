/** An error reply, as a sentence (and per-field problems, when there are some). */
export function ErrorMessage({ message, problems }: { message?: string; problems?: Array<{ field: string; message: string }> }) {
  if (!message) return null;
  return (
    <div className="error-message" role="alert">
      <p>{message.split('\n')[0]}</p>
      {problems && problems.length > 0 && (
        <ul>
          {problems.map((problem) => (
            <li key={`${problem.field}:${problem.message}`}>
              <code>{problem.field}</code> {problem.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
