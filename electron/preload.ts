/**
 * The Electron preload (CommonJS, sandboxed): exposes one named function per command of the api/
 * contract and a subscribe for its events, as `window.opsdeck`. Never ipcRenderer itself: the page
 * can reach these channels and nothing else.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { COMMAND_NAMES, EVENT_NAMES, type OpsdeckBridge } from './api/contract';

const commands = Object.fromEntries(COMMAND_NAMES.map((name) => [name, (request: unknown) => ipcRenderer.invoke(name, request)])) as unknown as OpsdeckBridge['commands'];

const bridge: OpsdeckBridge = {
  commands,
  subscribe(name, listener) {
    if (!(EVENT_NAMES as readonly string[]).includes(name)) throw new Error(`There is no event "${String(name)}".`);
    const forward = (_event: IpcRendererEvent, payload: unknown) => (listener as (payload: unknown) => void)(payload);
    ipcRenderer.on(name, forward);
    return () => {
      ipcRenderer.removeListener(name, forward);
    };
  },
};

contextBridge.exposeInMainWorld('opsdeck', bridge);
