import { determinismSuite } from './determinism-suite.js';
import { opsSuite } from './ops-suite.js';

// Native TensorFlow (tfjs-node): one backend per test process.
opsSuite('tensorflow');
determinismSuite('tensorflow');
