import { contextBridge } from 'electron';

// Only the typed API crosses into the page: no ipcRenderer, no Node.
contextBridge.exposeInMainWorld('workbench', { transport: 'electron' as const });
