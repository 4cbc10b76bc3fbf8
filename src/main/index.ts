import { join } from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, shell } from 'electron';
import { appDataRoot } from '../engine/fs/data-root.js';
import { JobHost } from '../engine/jobs/host.js';
import { createApiService, type ApiService } from '../service/api-service.js';
import { EVENT_CHANNEL } from '../shared/api-methods.js';
import { APP_INDEX_URL, APP_SCHEME, APP_SCHEME_PRIVILEGES, appProtocolHandler } from './app-protocol.js';
import { createInvokeHandler, forwardEvents, registerInvokeHandler, trustedRenderer } from './ipc.js';
import { buildMenu } from './menu.js';
import { hardenApp, hardenSession } from './security.js';
import { ElectronSettings } from './settings-store.js';
import { utilityLauncher } from './utility-launcher.js';
import { createMainWindow } from './window.js';

// Electron glue only: the API, jobs and validation live in src/engine/jobs and
// src/main/ipc.ts, which run and are tested without Electron.

const rendererDir = join(__dirname, '../renderer');
const devServerUrl = (!app.isPackaged && process.env.ELECTRON_RENDERER_URL) || undefined;
const isTrusted = trustedRenderer({ rendererIndexUrl: APP_INDEX_URL, devServerUrl });

// Before `ready`: app:// is a standard, secure origin (relative URLs, fetch, the CSP's 'self').
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: APP_SCHEME_PRIVILEGES }]);
hardenApp(isTrusted);

if (!app.requestSingleInstanceLock()) app.quit();

let service: ApiService | null = null;
let settings: ElectronSettings | null = null;

let defaultRoot: string | null = null;
function dataRoot(): string {
  defaultRoot ??= appDataRoot(app.getPath('userData')).path;
  return settings?.get().dataRoot ?? defaultRoot;
}

function openWindow(): BrowserWindow {
  return createMainWindow(settings!, devServerUrl);
}

app.on('second-instance', () => {
  const [win] = BrowserWindow.getAllWindows();
  if (win) {
    if (win.isMinimized()) win.restore();
    win.focus();
  }
});

app.whenReady().then(() => {
  hardenSession();
  protocol.handle(APP_SCHEME, appProtocolHandler(rendererDir, undefined, (line) => console.warn(line)));
  app.setAboutPanelOptions({
    applicationName: 'SimCLR Workbench',
    applicationVersion: app.getVersion(),
    version: `Electron ${process.versions.electron}`,
    copyright: 'Apache-2.0',
  });
  settings = new ElectronSettings();
  for (const p of settings.problems) console.warn(`settings: ${p}`);
  const s = settings;

  const host = new JobHost({
    launcher: utilityLauncher(join(__dirname, 'worker.js')),
    env: () => {
      const cur = s.get();
      return { SIMCLR_DATA_ROOT: dataRoot(), ...(cur.backend !== 'auto' ? { SIMCLR_BACKEND: cur.backend } : {}) };
    },
    concurrency: () => s.get().jobConcurrency,
  });
  service = createApiService({
    host,
    settings: s,
    dataRoot,
    datasetDirs: () => s.get().datasetDirs,
    app: { name: 'SimCLR Workbench', version: app.getVersion(), shell: 'electron' },
  });
  registerInvokeHandler(ipcMain, createInvokeHandler(service, isTrusted));
  forwardEvents(service.subscribe, () => BrowserWindow.getAllWindows().map((w) => w.webContents));

  Menu.setApplicationMenu(
    buildMenu({
      async addDatasetFolder() {
        const win = BrowserWindow.getFocusedWindow();
        const options = { title: 'Add a dataset folder', properties: ['openDirectory' as const] };
        const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
        const dir = r.filePaths[0];
        if (r.canceled || !dir) return;
        const next = s.addDatasetDir(dir);
        for (const w of BrowserWindow.getAllWindows()) w.webContents.send(EVENT_CHANNEL, { type: 'settings.changed', settings: next });
      },
      // The data root decides what the engine may read: only this dialog (main process) changes it.
      async chooseDataFolder() {
        const win = BrowserWindow.getFocusedWindow();
        const options = { title: 'Choose the data folder (datasets cache, runs, settings)', properties: ['openDirectory' as const, 'createDirectory' as const] };
        const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
        const dir = r.filePaths[0];
        if (r.canceled || !dir || !service) return;
        const res = await service.call('settings.set', { patch: { dataRoot: dir } });
        if (!res.ok) void dialog.showMessageBox({ type: 'error', message: res.error.message });
      },
      openDataFolder() {
        void shell.openPath(dataRoot());
      },
    }),
  );

  openWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) openWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

// Cancel running jobs and stop the workers before quitting, so no engine process outlives the app.
let quitting = false;
app.on('before-quit', (event) => {
  if (quitting || !service) return;
  event.preventDefault();
  quitting = true;
  void service.close().finally(() => app.quit());
});
