import { useEffect, useState } from 'react';
import type { CastText, Transcript } from '../../electron/api/contract';
import { downloadText } from '../logic/download';
import { useAuditStore, type RunReference } from '../stores/audit';
import { AuditTimeline, timelineLineId } from './AuditTimeline';
import { CastPlayer } from './CastPlayer';
import { DrillReportView } from './DrillReportView';
import { ErrorMessage } from './ErrorMessage';
import { ReportExportButtons, type ReportFormat } from './ReportExportButtons';
import { RunStatusBadge } from './RunStatusBadge';
import { StateChangesView } from './StateChangesView';
import { TeamCopyBadge } from './TeamCopyBadge';
import { TranscriptPlayer } from './TranscriptPlayer';
import { VerificationBadge } from './VerificationBadge';

const TABS = ['timeline', 'report', 'changes', 'drill', 'transcripts'] as const;

/** One recorded run (this machine's or the team's): verification, report, drill report, timeline, transcripts, exports. */
export function AuditRunDetailView({ reference }: { reference: RunReference }) {
  const { runId, teamEnvironmentId } = reference;
  const detail = useAuditStore((state) => state.detail);
  const error = useAuditStore((state) => state.error);
  const [tab, setTab] = useState<(typeof TABS)[number]>('timeline');
  const [transcript, setTranscript] = useState<{ name: string; transcript: Transcript }>();
  const [transcriptError, setTranscriptError] = useState<string>();
  const [cast, setCast] = useState<CastText>();
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<string>();

  const { loadDetail, readTranscript, readCast, exportReport: readExport } = useAuditStore.getState();

  useEffect(() => {
    setTranscript(undefined);
    setCast(undefined);
    setExportError(undefined);
    void loadDetail(reference);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- read again when the run named changes, not when its reference object is made anew
  }, [runId, teamEnvironmentId, loadDetail]);

  const openTranscript = async (name: string) => {
    const result = await readTranscript(runId, name);
    setTranscriptError(result.ok ? undefined : result.error.userMessage);
    if (result.ok) setTranscript({ name, transcript: result.value });
  };

  const playTranscript = async (name: string) => {
    const result = await readCast({ runId, name });
    setTranscriptError(result.ok ? undefined : result.error.userMessage);
    if (result.ok) setCast(result.value);
  };

  const showLine = (line: number) => {
    setTab('timeline');
    // After the timeline renders: bring the line into view.
    setTimeout(() => document.getElementById(timelineLineId(line))?.scrollIntoView({ block: 'center' }), 0);
  };

  const exportReport = async (format: ReportFormat) => {
    setExporting(true);
    const result = await readExport(reference, format);
    setExporting(false);
    setExportError(result.ok ? undefined : result.error.userMessage);
    if (result.ok) downloadText(result.value.fileName, result.value.mimeType, result.value.text);
  };

  if (error) return <ErrorMessage message={error} />;
  if (!detail || detail.summary.runId !== runId) return <p className="muted">Reading the journal…</p>;
  return (
    <section className="audit-detail" aria-label="Recorded run">
      <h2>
        {detail.summary.runbookTitle} <RunStatusBadge status={detail.summary.status} /> {detail.source === 'team' && <span className="badge team">TEAM</span>}
        {detail.drill.drill && <span className="badge drill">DRILL</span>}
      </h2>
      <p className="muted small">
        <code>{detail.summary.runId}</code> · {detail.summary.operator} · {detail.summary.environment}
        {detail.source === 'team' && ' · read from the team database'}
      </p>
      <VerificationBadge verification={detail.verification} what={detail.source === 'team' ? 'Team database copy' : 'Journal'} onLine={showLine} />
      {detail.teamVerification && <TeamCopyBadge verification={detail.teamVerification} />}
      <ReportExportButtons busy={exporting} onExport={(format) => void exportReport(format)} />
      <ErrorMessage message={exportError} />
      <div className="tabs" role="tablist">
        {TABS.map((name) => (
          <span key={name} className={tab === name ? 'tab active' : 'tab'}>
            <button type="button" role="tab" aria-selected={tab === name} onClick={() => setTab(name)}>
              {name}
            </button>
          </span>
        ))}
      </div>
      {tab === 'timeline' && <AuditTimeline entries={detail.timeline} problemLines={detail.verification.problems.map((problem) => problem.line)} />}
      {tab === 'report' && <pre className="report">{detail.report}</pre>}
      {tab === 'changes' && <StateChangesView diff={detail.stateChanges} />}
      {tab === 'drill' && <DrillReportView report={detail.drill} />}
      {tab === 'transcripts' && (
        <div>
          <div className="actions">
            {detail.transcripts.length === 0 && (
              <span className="muted">{detail.source === 'team' ? 'Transcripts stay on the machine that ran it.' : 'No transcript recorded.'}</span>
            )}
            {detail.transcripts.map((name) => (
              <span key={name}>
                <button type="button" className={transcript?.name === name ? 'tag active' : 'tag'} onClick={() => void openTranscript(name)}>
                  {name}
                </button>
                {detail.source === 'local' && (
                  // Named by its place next to the transcript's button (a name containing the host would make "compute01" ambiguous).
                  <button type="button" className="tag" title={`Play ${name} with seek`} data-play-transcript={name} onClick={() => void playTranscript(name)}>
                    ▶ play
                  </button>
                )}
              </span>
            ))}
          </div>
          <ErrorMessage message={transcriptError} />
          {cast && <CastPlayer key={cast.name} cast={cast} />}
          {transcript && <TranscriptPlayer key={transcript.name} name={transcript.name} transcript={transcript.transcript} />}
        </div>
      )}
    </section>
  );
}
