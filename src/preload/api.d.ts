import type { PreloadApi } from './types';

// The preload API as the renderer sees it: present in the desktop app,
// absent in a browser (server mode), where the HTTP transport is used.
declare global {
  interface Window {
    workbench?: PreloadApi;
  }
}

export {};
