import { useUiStore } from '../stores/ui';

/** Above every screen while the backend cannot be reached: what that means, and that it reconnects by itself. */
export function ConnectionBanner() {
  const connection = useUiStore((state) => state.connection);
  const message = useUiStore((state) => state.connectionMessage);
  const lostAt = useUiStore((state) => state.lostAt);
  const retrying = useUiStore((state) => state.retrying);
  if (connection !== 'lost') return null;
  if (retrying === false) {
    return (
      <div className="banner connection-lost" role="alert" data-connection="lost">
        {message}
      </div>
    );
  }
  return (
    <div className="banner connection-lost" role="alert" data-connection="lost">
      <strong>Not connected to OpsDeck</strong>
      {lostAt !== undefined && <> since {new Date(lostAt).toLocaleTimeString()}</>}. Live runs are shown as <em>state unknown</em> and every action is disabled until it answers
      again; reconnecting by itself…
      <div className="small muted">If OpsDeck was restarted with a new link, open that link.</div>
    </div>
  );
}
