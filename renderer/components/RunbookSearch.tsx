/** The search box and the tag filter of the library. */
export function RunbookSearch({
  query,
  tags,
  tag,
  onQuery,
  onTag,
}: {
  query: string;
  tags: string[];
  tag?: string;
  onQuery: (query: string) => void;
  onTag: (tag: string | undefined) => void;
}) {
  return (
    <div className="toolbar">
      <input type="search" placeholder="Search runbooks" aria-label="Search runbooks" value={query} onChange={(event) => onQuery(event.target.value)} />
      <div className="tag-filter" role="group" aria-label="Filter by tag">
        <button type="button" className={tag === undefined ? 'tag active' : 'tag'} onClick={() => onTag(undefined)}>
          all
        </button>
        {tags.map((candidate) => (
          <button key={candidate} type="button" className={candidate === tag ? 'tag active' : 'tag'} onClick={() => onTag(candidate === tag ? undefined : candidate)}>
            {candidate}
          </button>
        ))}
      </div>
    </div>
  );
}
