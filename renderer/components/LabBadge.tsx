/** Marks everything that belongs to a lab environment, so a lab is never mistaken for a cloud. */
export function LabBadge() {
  return (
    <span className="badge lab" title="A lab of test hosts on this machine, not a real cloud">
      LAB
    </span>
  );
}
