/** The engine's own command-line builder, for the console to show a command exactly as it is sent. */
export { commandAsSent } from '../core/ssh/command-line';
