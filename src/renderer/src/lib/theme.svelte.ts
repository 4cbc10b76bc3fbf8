/**
 * The colour theme: "system" follows the OS (prefers-color-scheme), "light"
 * and "dark" pin it. Sets data-theme on <html> (styles.css reads it); `dark`
 * is the resolved answer, which charts and canvases depend on to redraw.
 */
import type { Settings } from '../../../shared/settings';

type Mode = Settings['theme'];

class ThemeState {
  mode = $state<Mode>('system');
  dark = $state(false);
  private media: MediaQueryList | null = null;

  init(): void {
    if (this.media || typeof window === 'undefined' || !window.matchMedia) return;
    this.media = window.matchMedia('(prefers-color-scheme: dark)');
    this.media.addEventListener('change', () => this.resolve());
    this.resolve();
  }

  apply(mode: Mode): void {
    this.mode = mode;
    const root = document.documentElement;
    if (mode === 'system') delete root.dataset.theme;
    else root.dataset.theme = mode;
    this.resolve();
  }

  private resolve() {
    this.dark = this.mode === 'dark' || (this.mode === 'system' && !!this.media?.matches);
  }
}

export const theme = new ThemeState();
