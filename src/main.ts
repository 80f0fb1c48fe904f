// Firmware entry point (placeholder until src/mime lands; the real wiring is in /tmp while it waits): prints the boot line.
console.log("alertmail: boot");
