/** Entry point of the lab's `systemctl` shim (bundled by lab.ts into <run>/bin/systemctl.mjs). */
import { main } from './systemctl';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  },
);
