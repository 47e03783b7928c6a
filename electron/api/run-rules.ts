/**
 * The rules of run events that every fold of them follows (the journal's replay in the engine, the
 * console's live view of a run), handed to the renderer through the contract layer: they are
 * written once, next to the events, in electron/core/audit/events.ts (plain functions, no Node).
 */
export { isUnmatchedConfirmation, promptsEndedBy, runStatusAfter } from '../core/audit/events';
