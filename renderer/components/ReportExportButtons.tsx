export type ReportFormat = 'md' | 'html' | 'json';

const FORMATS: Array<{ format: ReportFormat; label: string }> = [
  { format: 'md', label: 'Markdown' },
  { format: 'html', label: 'HTML page' },
  { format: 'json', label: 'JSON' },
];

/** Download the run's report as Markdown, a self-contained HTML page, or JSON. */
export function ReportExportButtons({ busy, onExport }: { busy: boolean; onExport: (format: ReportFormat) => void }) {
  return (
    <div className="toolbar export-buttons" role="group" aria-label="Export report">
      <span className="muted small">Download report:</span>
      {FORMATS.map(({ format, label }) => (
        <button key={format} type="button" disabled={busy} onClick={() => onExport(format)}>
          {label}
        </button>
      ))}
    </div>
  );
}
