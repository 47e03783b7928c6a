#!/usr/bin/env node
// `npm start`: the console. The desktop window and its browser mode are not built yet in this
// version; say so plainly and point at what works today, rather than fail with a stack trace.
process.stdout.write(
  [
    'OpsDeck: the desktop console (window and browser mode) is not part of this version yet.',
    'The engine works headless today:',
    '  npx opsdeck help                       every command',
    '  npm run lab                            start the SSH lab (real sshd hosts on loopback)',
    '  npx opsdeck run hello-lab --env <lab>/environment.yaml',
    '',
  ].join('\n'),
);
