import { join } from 'node:path';
import { BrowserWindow, screen } from 'electron';
import type { WindowState } from '../shared/settings.js';
import { APP_INDEX_URL } from './app-protocol.js';

export interface WindowStateStore {
  windowState(): WindowState;
  saveWindowState(state: WindowState): void;
}

/** Keep a remembered position only if it is still on a connected display. */
function visible(state: WindowState): boolean {
  if (state.x === undefined || state.y === undefined) return false;
  return screen.getAllDisplays().some(({ workArea: a }) => state.x! < a.x + a.width - 50 && state.x! + 100 > a.x && state.y! >= a.y - 10 && state.y! < a.y + a.height - 50);
}

/** `devServerUrl`: the electron-vite dev server in development; otherwise the built renderer over app://. */
export function createMainWindow(store: WindowStateStore, devServerUrl: string | undefined): BrowserWindow {
  const state = store.windowState();
  const placed = visible(state);
  const win = new BrowserWindow({
    width: state.width,
    height: state.height,
    ...(placed ? { x: state.x, y: state.y } : {}),
    minWidth: 800,
    minHeight: 560,
    show: false,
    title: 'SimCLR Workbench',
    webPreferences: {
      preload: join(__dirname, '../preload/index.cjs'),
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  if (state.maximized) win.maximize();
  win.once('ready-to-show', () => win.show());

  let timer: NodeJS.Timeout | null = null;
  const save = () => {
    if (win.isDestroyed()) return;
    const b = win.getNormalBounds();
    store.saveWindowState({ x: b.x, y: b.y, width: b.width, height: b.height, maximized: win.isMaximized() });
  };
  const saveSoon = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, 400);
  };
  win.on('resize', saveSoon);
  win.on('move', saveSoon);
  win.on('close', () => {
    if (timer) clearTimeout(timer);
    save();
  });

  void win.loadURL(devServerUrl ?? APP_INDEX_URL);
  return win;
}
