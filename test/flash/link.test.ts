// Opening the link: tcp:// parsing and the words for serial-port failures a user can act on.
import { describe, expect, it } from "vitest";
import { openLink, parseTcpPort, serialError } from "../../tools/flash/link.ts";

describe("flash link", () => {
  it("reads tcp://host[:port], with the ESP32 telnet port 23 by default", () => {
    expect(parseTcpPort("tcp://192.168.1.50")).toEqual({ host: "192.168.1.50", port: 23 });
    expect(parseTcpPort("tcp://board.lan:2323")).toEqual({ host: "board.lan", port: 2323 });
    expect(parseTcpPort("tcp://[::1]:23")).toEqual({ host: "::1", port: 23 });
    expect(parseTcpPort("/dev/ttyUSB0")).toBeNull();
  });

  it("rejects a malformed tcp address without touching the network", async () => {
    await expect(openLink("tcp:/192.168.1.50")).rejects.toMatchObject({ code: "ENOPORT", message: expect.stringMatching(/tcp:\/\/host\[:port\]/) });
  });

  it("turns serialport's permission error into the dialout advice", () => {
    // The message @serialport/bindings-cpp gives on Linux for EACCES.
    const e = serialError("/dev/ttyUSB0", new Error("Error: Permission denied, cannot open /dev/ttyUSB0"));
    expect(e.code).toBe("EACCES");
    expect(e.message).toContain("sudo usermod -aG dialout $USER");
  });

  it("says which port is missing, from the real serialport binding", async () => {
    await expect(openLink("/dev/ttyALERTMAIL-MISSING")).rejects.toMatchObject({
      code: "ENOPORT",
      message: expect.stringMatching(/^no such serial port \/dev\/ttyALERTMAIL-MISSING/),
    });
  });

  it("says a port is busy when another program holds it", () => {
    expect(serialError("/dev/ttyUSB0", new Error("Error: Resource temporarily unavailable Cannot lock port")).message).toMatch(/busy/);
  });
});
