// js-yaml ships no types; electron-builder and eslint install it. The one function the tests use:
declare module 'js-yaml' {
  export function load(text: string): unknown;
  const yaml: { load: typeof load };
  export default yaml;
}
