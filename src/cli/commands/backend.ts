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
    console.log(`why       ${info.reason}`);
    for (const a of info.attempts.filter((x) => !x.ok)) console.log(`skipped   ${a.source}: ${a.detail}`);
  },
};
