import { opsSuite } from './ops-suite.js';

opsSuite('tensorflow');
