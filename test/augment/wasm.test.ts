import { determinismSuite } from './determinism-suite.js';
import { opsSuite } from './ops-suite.js';

// wasm in its own test process: tfjs keeps one backend per process.
opsSuite('wasm');
determinismSuite('wasm');
