import { initBackend } from '../../engine/backend/index.js';
import { parse, type Command } from '../args.js';

export const backendCommand: Command = {
  async run(argv) {
    const { values } = parse('backend', argv, { backend: { type: 'string' }, json: { type: 'boolean' } }, false);
    const info = await initBackend(values.backend);
    if (values.json) {
      console.log(JSON.stringify(info, null, 2));
      return;
    }
    console.log(`backend   ${info.name}`);
    console.log(`package   ${info.source} (tfjs ${info.tfjsVersion})`);
    console.log(`device    ${info.device}`);
    console.log(`threads   ${info.threads}`);
    if (info.adapter) {
      const a = info.adapter;
      console.log(`adapter   vendor ${a.vendor || '?'}, architecture ${a.architecture || '?'}, device ${a.device || '?'}${a.software ? ' (software: runs on the CPU)' : ''}`);
      console.log(`driver    ${a.description || '?'}`);
      console.log(`limits    ${Object.entries(a.limits).map(([k, v]) => `${k}=${v}`).join(', ')}`);
    }
    console.log(`why       ${info.reason}`);
    for (const a of info.attempts.filter((x) => !x.ok)) console.log(`skipped   ${a.source}: ${a.detail}`);
  },
};
