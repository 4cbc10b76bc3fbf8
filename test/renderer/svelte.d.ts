// Component imports in tests: the node typecheck (tsconfig.json) has no Svelte
// compiler; svelte-check covers the components themselves.
declare module '*.svelte' {
  import type { Component } from 'svelte';
  const component: Component<Record<string, unknown>>;
  export default component;
}
