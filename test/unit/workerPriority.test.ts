// A worker-only process lowers its own priority below the API's: checked in a child process, so this test runner
// keeps its own.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const MODULE = path.join(__dirname, '../../src/app/workerPriority.ts');

function niceAfter(nice: number): { own: number; child: number } {
  const script = `
    const os = require('node:os');
    const { execFileSync } = require('node:child_process');
    const { lowerWorkerPriority } = require(${JSON.stringify(MODULE)});
    const log = { info() {}, warn(o) { console.error(JSON.stringify(o)); } };
    lowerWorkerPriority(${nice}, log);
    const child = Number(execFileSync(process.execPath, ['-e', 'console.log(require("node:os").getPriority())'], { encoding: 'utf8' }));
    console.log(JSON.stringify({ own: os.getPriority(), child }));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop() as string);
}

describe('lowerWorkerPriority', () => {
  it('raises the nice value of the process, and of the processes it starts afterwards', () => {
    const base = niceAfter(0);
    expect(niceAfter(10)).toEqual({ own: Math.max(base.own, 10), child: Math.max(base.child, 10) });
  });
});
