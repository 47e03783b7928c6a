import { useEffect, useState } from 'react';
import type { Transcript } from '../../electron/api/contract';
import { api } from '../api/client';
import { useAuditStore } from '../stores/audit';
import { AuditTimeline } from './AuditTimeline';
import { ErrorMessage } from './ErrorMessage';
import { RunStatusBadge } from './RunStatusBadge';
import { TranscriptPlayer } from './TranscriptPlayer';
import { VerificationBadge } from './VerificationBadge';

/** One recorded run: verification, report, timeline, and its transcripts replayed. */
export function AuditRunDetailView({ runId }: { runId: string }) {
  const detail = useAuditStore((state) => state.detail);
  const error = useAuditStore((state) => state.error);
  const [tab, setTab] = useState<'report' | 'timeline' | 'transcripts'>('timeline');
  const [transcript, setTranscript] = useState<{ name: string; transcript: Transcript }>();
  const [transcriptError, setTranscriptError] = useState<string>();

  useEffect(() => {
    setTranscript(undefined);
    void api()
      .call('audit:show', { runId })
      .then((result) => useAuditStore.getState().setDetail(result.ok ? result.value : undefined, result.ok ? undefined : result.error.userMessage));
  }, [runId]);

  const openTranscript = async (name: string) => {
    const result = await api().call('audit:transcript', { runId, name });
    setTranscriptError(result.ok ? undefined : result.error.userMessage);
    if (result.ok) setTranscript({ name, transcript: result.value });
  };

  if (error) return <ErrorMessage message={error} />;
  if (!detail || detail.summary.runId !== runId) return <p className="muted">Reading the journal…</p>;
  return (
    <section className="audit-detail" aria-label="Recorded run">
      <h2>
        {detail.summary.runbookTitle} <RunStatusBadge status={detail.summary.status} />
      </h2>
      <VerificationBadge verification={detail.verification} />
      <div className="tabs" role="tablist">
        {(['timeline', 'report', 'transcripts'] as const).map((name) => (
          <span key={name} className={tab === name ? 'tab active' : 'tab'}>
            <button type="button" role="tab" aria-selected={tab === name} onClick={() => setTab(name)}>
              {name}
            </button>
          </span>
        ))}
      </div>
      {tab === 'timeline' && <AuditTimeline entries={detail.timeline} />}
      {tab === 'report' && <pre className="report">{detail.report}</pre>}
      {tab === 'transcripts' && (
        <div>
          <div className="actions">
            {detail.transcripts.length === 0 && <span className="muted">No transcript recorded.</span>}
            {detail.transcripts.map((name) => (
              <button key={name} type="button" className={transcript?.name === name ? 'tag active' : 'tag'} onClick={() => void openTranscript(name)}>
                {name}
              </button>
            ))}
          </div>
          <ErrorMessage message={transcriptError} />
          {transcript && <TranscriptPlayer key={transcript.name} name={transcript.name} transcript={transcript.transcript} />}
        </div>
      )}
    </section>
  );
}
