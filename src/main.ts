// Firmware entry point (placeholder until the firmware issue lands): prints the boot line.
console.log("alertmail: boot");
