import type { Environment } from '../inventory/model';
import { raw, renderTemplate, resolveTemplateValue, type RenderMode, type TemplateScope } from '../runbook/template';

/** The template scope of a run: every namespace present, so steps can add captures to it. */
export type RunScope = Required<Pick<TemplateScope, 'params' | 'captures' | 'env' | 'run' | 'locals'>> & { host?: string };

/**
 * What `{{ env.* }}` shows a runbook: the environment's vars and secrets (data, quoted like any value;
 * secrets are masked wherever they are written or shown), the hosts' BMCs (`env.bmc`), and the deployment profile's command words
 * (reviewed code, inserted as they are). A profile word wins over a var of the same name, so an
 * environment file cannot turn a command word into a quoted string.
 */
export function environmentScope(environment: Environment): Record<string, unknown> {
  const scope: Record<string, unknown> = { ...environment.vars, ...environment.secrets, name: environment.name, profile: environment.profile.id };
  // The hosts' BMCs by host name (`{{ env.bmc[params.host].address }}`); the password is a secret,
  // masked like the others, and a runbook hands it to a command on stdin, never on its command line.
  // Keys as the environment file writes them.
  scope.bmc = Object.fromEntries(
    environment.hosts.flatMap((host) =>
      host.bmc
        ? [
            [
              host.name,
              {
                address: host.bmc.address,
                port: host.bmc.port,
                user: host.bmc.user,
                password: host.bmc.password,
                interface: host.bmc.interface,
                cipher_suite: host.bmc.cipherSuite ?? null,
              },
            ],
          ]
        : [],
    ),
  );
  for (const [word, text] of Object.entries(environment.profile.words)) scope[word] = raw(text);
  return scope;
}

/** Renders a template in a run's scope ('shell' quotes every value, 'text' does not). */
export function renderIn(template: string, scope: RunScope, mode: RenderMode): string {
  return renderTemplate(template, scope, mode);
}

/** The value of a template that is one reference (a list stays a list), else its text. */
export function valueIn(template: string, scope: RunScope): unknown {
  return resolveTemplateValue(template, scope);
}
