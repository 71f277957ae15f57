// Runs a command with a display for headless-gl: as is when DISPLAY is set or xvfb-run is missing,
// otherwise under `xvfb-run -a`, so the gpu backend is tested wherever it can run.
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const hasXvfb = spawnSync('sh', ['-c', 'command -v xvfb-run'], { stdio: 'ignore' }).status === 0;
const [cmd, cmdArgs] =
  process.env.DISPLAY || !hasXvfb
    ? [args[0], args.slice(1)]
    : ['xvfb-run', ['-a', '-s', '-screen 0 640x480x24', ...args]];
const result = spawnSync(cmd, cmdArgs, { stdio: 'inherit' });
process.exit(result.status ?? 1);
