#!/usr/bin/env bash
# Builds Espruino's own interpreter for Linux in the ESP32's variable format (14-byte variables, a fixed
# pool, 32-bit, no unicode, the ESP32's libraries minus the radio), from an Espruino source tree you
# point it at. Nothing is downloaded. Usage:
#   bash tools/espruino/build-interpreter.sh /path/to/Espruino [OUT_DIR]
#   (or ESPRUINO_SRC=/path/to/Espruino bash tools/espruino/build-interpreter.sh)
# The source tree needs Makefile make/ boards/ scripts/ src/ libs/ gen/ targets/ (targetlibs/ is not
# needed). It is copied into OUT_DIR (default: .espruino/ in this project, git-ignored) and built there;
# the source tree itself is left untouched. Needs gcc-multilib and g++-multilib (Debian) for -m32.
# Prints the binary's path at the end: export ESPRUINO=<that path> to run the real-interpreter lane
# (npm test runs test/real/, npm run bench measures on it; README.md, "Working on alertmail").
#
# --native (first argument): build the same source with the same pool of 16383 variables and the same
# libraries as a native 64-bit program instead (board ESP32SIM_LINUX64, no -m32), its stand-in flash
# file read through a memory map (below), installed as OUT_DIR/espruino-native beside the 32-bit one;
# nothing else in OUT_DIR changes. Its variables are
# not the ESP32's (64-bit pointers and alignment), so it is for timing only: `npm run bench` takes its
# latency rows from it when it exists (ESPRUINO_NATIVE, or espruino-native beside $ESPRUINO) and its
# memory rows from the 32-bit build, which stays the memory truth. It exists because a 32-bit program
# under qemu user-mode emulation is several times slower than the PC it runs on.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
native=0
if [ "${1:-}" = "--native" ]; then native=1; shift; fi
src="${1:-${ESPRUINO_SRC:-}}"
if [ -z "$src" ] || [ ! -f "$src/Makefile" ] || [ ! -d "$src/src" ] || [ ! -d "$src/boards" ]; then
  echo "usage: bash tools/espruino/build-interpreter.sh [--native] /path/to/Espruino-source [OUT_DIR]" >&2
  echo "  (a checkout of github.com/espruino/Espruino: Makefile, make/, boards/, scripts/, src/, libs/, gen/, targets/)" >&2
  echo "  --native: the same interpreter as a native 64-bit program (OUT_DIR/espruino-native), for timing only" >&2
  exit 2
fi
src="$(cd "$src" && pwd)"
out="${2:-$here/.espruino}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
if [ "$native" = 1 ]; then
  tree="$out/tree-native"; board=ESP32SIM_LINUX64
else
  tree="$out/tree"; board=ESP32SIM_LINUX
fi
if [ "$native" = 0 ] && ! echo 'int main(){return 0;}' | gcc -m32 -x c - -o /dev/null 2>/dev/null; then
  echo "a 32-bit C toolchain is missing: install gcc-multilib g++-multilib (apt-get install gcc-multilib g++-multilib)" >&2
  exit 3
fi
echo "copying $src -> $tree"
rm -rf "$tree"; mkdir -p "$tree"
for d in Makefile make boards scripts src libs gen targets tests bin; do
  [ -e "$src/$d" ] && cp -a "$src/$d" "$tree/"
done
mkdir -p "$tree/bin"
# Its Makefile asks git for a version: one empty commit is enough.
if [ ! -d "$tree/.git" ]; then
  git -C "$tree" init -q
  git -C "$tree" -c user.name=build -c user.email=build@localhost commit -q --allow-empty -m build
fi
# The board file: LINUX.py with the ESP32's fixed pool of 16383 variables, -m32, no unicode, and the
# ESP32's libraries without the radio. Its name starts with ESP32 because process.env.BOARD is the
# board file's name; the flash tool still refuses it unless --allow-sim is typed (tools/flash/flash-board.ts).
# The native board (ESP32SIM_LINUX64) is the same file without -m32.
python3 - "$tree/boards/LINUX.py" "$tree/boards/$board.py" "$native" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
native = sys.argv[3] == "1"
s = s.replace("'variables' :  0,", "'variables' : 16383,")
s = re.sub(r"'libraries' : \[.*?\]", "'libraries' : ['NET','GRAPHICS','FILESYSTEM','CRYPTO','SHA256','SHA512','TLS','TELNET']", s, flags=re.S)
if not native: s = s.replace("#     'CFLAGS+=-m32'", "     'CFLAGS+=-m32'")
s = s.replace("     'DEFINES+=-DESPR_UNICODE_SUPPORT=1',\n", "")
for need in ["'variables' : 16383"] + ([] if native else ["     'CFLAGS+=-m32'"]):
    if need not in s: sys.exit("could not adapt boards/LINUX.py (looked for %r): has its layout changed?" % need)
if native and re.search(r"^\s*'CFLAGS\+=-m32'", s, flags=re.M): sys.exit("boards/LINUX.py builds 32-bit by default: cannot make a native board from it")
if "ESPR_UNICODE_SUPPORT" in s: sys.exit("could not drop ESPR_UNICODE_SUPPORT from boards/LINUX.py")
open(sys.argv[2], "w").write(s)
PY
# The native board only: the PC build stands in for the flash chip with a file that jshFlashRead
# reopens (fopen, fseek, fread, fclose) for every read, and code run from Storage is read 16 bytes at a
# time, so most of a function call's time would be system calls. An ESP32 reads Storage memory-mapped
# (jshFlashGetMemMapAddress in targets/esp32/jshardware.c). The timing build maps the file once and
# copies from the map (writes still go through the file, which a shared map sees); the interpreter is
# untouched. The 32-bit build keeps the file as it is: its figures are variables, not times.
if [ "$native" = 1 ]; then
  python3 - "$tree/targets/linux/jshardware.c" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
old = """  addr -= FLASH_START;

  FILE *f = jshFlashOpenFile(true);
  if (!f) { // no file, so it's all 0xFF
    memset(buf, 0xFF, len);
    return;
  }
  fseek(f, addr, SEEK_SET);
  size_t r = fread(buf, 1, len, f);
  assert(r==len);
  fclose(f);
}"""
new = """  addr -= FLASH_START;

  // alertmail timing build: the file is mapped once (shared: writes through the file show here).
  static unsigned char *flashMap = 0;
  if (!flashMap) {
    FILE *f = jshFlashOpenFile(true);
    if (!f) { // no file, so it's all 0xFF
      memset(buf, 0xFF, len);
      return;
    }
    void *m = mmap(0, FAKE_FLASH_BLOCKSIZE*FAKE_FLASH_BLOCKS, PROT_READ, MAP_SHARED, fileno(f), 0);
    if (m == MAP_FAILED) {
      fseek(f, addr, SEEK_SET);
      size_t r = fread(buf, 1, len, f);
      assert(r==len);
      fclose(f);
      return;
    }
    fclose(f);
    flashMap = (unsigned char*)m;
  }
  memcpy(buf, flashMap + addr, len);
}"""
if s.count(old) != 1: sys.exit("could not adapt targets/linux/jshardware.c's jshFlashRead: has its layout changed?")
s = s.replace(old, new).replace('#include "platform_config.h"', '#include "platform_config.h"\n#include <sys/mman.h>', 1)
open(p, "w").write(s)
PY
fi
jobs="$(nproc 2>/dev/null || echo 2)"
log="$out/build.log"
[ "$native" = 1 ] && log="$out/build-native.log"
echo "building (make -j$jobs BOARD=$board RELEASE=1), about 30 s on 2 cores"
make -C "$tree" -j"$jobs" BOARD="$board" RELEASE=1 > "$log" 2>&1 || { tail -30 "$log" >&2; echo "build failed: $log" >&2; exit 4; }
bin="$tree/bin/espruino"
[ -x "$bin" ] || bin="$tree/espruino"
[ -x "$bin" ] || { echo "build finished but no espruino binary was found under $tree" >&2; exit 4; }
if [ "$native" = 1 ]; then
  # Installed by rename, like the 32-bit one below.
  cp "$bin" "$out/.espruino-native.new" && mv -f "$out/.espruino-native.new" "$out/espruino-native"
  echo "check: $(cd "$out" && printf 'print(JSON.stringify([process.env.VERSION,process.env.BOARD,process.memory().total,process.memory().blocksize]))\n' > check-native.js && timeout 20 ./espruino-native check-native.js 2>/dev/null </dev/null | grep -a '^\[' | tail -1; rm -f check-native.js espruino.flash)"
  echo "built: $out/espruino-native (native 64-bit, for timing only; memory figures come from $out/espruino)"
  echo "export ESPRUINO_NATIVE=$out/espruino-native"
  exit 0
fi
# A kernel without 32-bit support (no IA32 emulation) cannot run it directly: then ESPRUINO names a
# two-line wrapper that runs it under qemu-i386 user-mode emulation (Debian: qemu-user-static).
# Memory figures are the same; times are slower than a native run.
# Installed by rename, so an interpreter another process is starting right now is never half-copied.
if echo 'int main(){return 0;}' | gcc -m32 -x c - -o "$out/.probe32" 2>/dev/null && "$out/.probe32" 2>/dev/null; then
  cp "$bin" "$out/.espruino.new" && mv -f "$out/.espruino.new" "$out/espruino"
  rm -f "$out/espruino-i386"
else
  qemu="$(command -v qemu-i386-static || command -v qemu-i386 || true)"
  [ -n "$qemu" ] || { echo "this kernel cannot run 32-bit programs: install qemu-user-static (apt-get install qemu-user-static) and run again" >&2; exit 5; }
  cp "$bin" "$out/.espruino-i386.new" && mv -f "$out/.espruino-i386.new" "$out/espruino-i386"
  printf '#!/bin/sh\n# the interpreter is 32-bit and this kernel runs no 32-bit programs: run it under qemu user-mode emulation\nexec %s "$(dirname "$0")/espruino-i386" "$@"\n' "$qemu" > "$out/.espruino.new"
  chmod +x "$out/.espruino.new" && mv -f "$out/.espruino.new" "$out/espruino"
  echo "note: this kernel cannot run 32-bit programs; $out/espruino runs the interpreter under $qemu"
fi
rm -f "$out/.probe32"
echo "check: $(cd "$out" && printf 'print(JSON.stringify([process.env.VERSION,process.env.BOARD,process.memory().total,process.memory().blocksize]))\n' > check.js && timeout 20 ./espruino check.js 2>/dev/null </dev/null | grep -a '^\[' | tail -1; rm -f check.js espruino.flash)"
echo "built: $out/espruino"
echo "export ESPRUINO=$out/espruino"
