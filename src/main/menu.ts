import { app, Menu, shell, type MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  addDatasetFolder(): void;
  chooseDataFolder(): void;
  openDataFolder(): void;
}

export function buildMenu(actions: MenuActions): Menu {
  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Add Dataset Folder…', accelerator: 'CmdOrCtrl+O', click: () => actions.addDatasetFolder() },
        { label: 'Choose Data Folder…', click: () => actions.chooseDataFolder() },
        { label: 'Open Data Folder', click: () => actions.openDataFolder() },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        ...(app.isPackaged ? [] : [{ role: 'toggleDevTools' as const }]),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        { label: 'SimCLR paper (arXiv)', click: () => void shell.openExternal('https://arxiv.org/abs/2002.05709') },
        // macOS has About in the app menu; elsewhere it is here (version, Electron; app.setAboutPanelOptions)
        ...(isMac ? [] : [{ type: 'separator' as const }, { role: 'about' as const }]),
      ],
    },
  ];
  return Menu.buildFromTemplate(template);
}
