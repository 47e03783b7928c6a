/**
 * What the parser hands the validator: in its own file so ./parse.ts (which calls the validator) and
 * ./validate.ts (which reads this) do not import each other.
 */
import type { Runbook, Step } from './model';

/** What the validator needs besides the normalised runbook: the raw value and where each step came from. */
export interface ParsedParts {
  raw: Record<string, unknown>;
  /** Normalised steps by the formatted YAML path of their raw mapping (`steps[2].steps[0]`). */
  stepsByPath: Map<string, Step>;
  runbook: Runbook;
}
