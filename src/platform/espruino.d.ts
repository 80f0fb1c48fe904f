// Types for the Espruino globals the firmware touches; only src/platform/ may use them.
declare function require(name: "net" | "tls" | "Wifi" | "Storage" | "ESP32" | "crypto" | "http"): any;
declare function setWatch(fn: (e: { state: boolean; time: number; lastTime?: number }) => void, pin: any, opts: { repeat?: boolean; edge?: "rising" | "falling" | "both"; debounce?: number }): number;
declare function clearWatch(id?: number): void;
declare function digitalRead(pin: any): number;
declare function digitalWrite(pin: any, v: number | boolean): void;
declare function analogRead(pin: any): number;
declare function pinMode(pin: any, mode: string): void;
declare function btoa(s: string): string;
declare function atob(s: string): string;
declare function getTime(): number;
declare const E: {
  setBootCode(code: string, alwaysFlash?: boolean): void;
  enableWatchdog(seconds: number, isAuto?: boolean): void;
  kickWatchdog(): void;
  CRC32(s: string): number;
  toString(...args: any[]): string;
  toUint8Array(...args: any[]): Uint8Array;
  reboot(): void;
  getErrorFlags?(): string[];
  on(event: string, fn: (...a: any[]) => void): void;
};
declare const process: {
  env: { BOARD: string; VERSION: string; MODULES?: string; [k: string]: any };
  memory(gc?: boolean): { free: number; usage: number; total: number; [k: string]: number };
};
declare const global: any;
declare function setTimeout(fn: (...a: any[]) => void, ms?: number, ...args: any[]): number;
declare function setInterval(fn: (...a: any[]) => void, ms?: number, ...args: any[]): number;
declare function clearTimeout(id: number): void;
declare function clearInterval(id: number): void;
declare const console: { log(...a: any[]): void };
