/**
 * How a step's command reaches the host's shell. Node-free on purpose: the connection pool builds
 * every remote command line with it, and the console shows the command as sent with the same
 * function (through electron/api/command-line.ts), so what is shown is what runs.
 */

/** POSIX single-quoting: the text comes back byte for byte. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A command run with sudo: a non-interactive sudo starts the target user's shell, which reads the command whole. */
export function sudoCommand(command: string): string {
  return `sudo -n -- "\${SHELL:-/bin/sh}" -c ${shellQuote(command)}`;
}

/** The command as the host's shell is given it: as written, or inside the sudo wrapper. */
export function commandAsSent(command: string, sudo: boolean): string {
  return sudo ? sudoCommand(command) : command;
}
