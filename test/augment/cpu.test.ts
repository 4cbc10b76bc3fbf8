import { determinismSuite } from './determinism-suite.js';
import { opsSuite } from './ops-suite.js';

// The pure-JS fallback backend, in its own test process.
opsSuite('cpu');
determinismSuite('cpu');
