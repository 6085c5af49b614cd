#!/bin/sh
# Rebuilds the device test guests and prints the TS module tests/devices_guest_images.ts.
# Usage: sh tests/data/devices/build.sh > tests/devices_guest_images.ts  (needs GNU as/ld/objcopy)
set -e
cd "$(dirname "$0")"
tmp=$(mktemp -d)
echo "/**"
echo " * Tiny 32-bit guests for the device tests, assembled from tests/data/devices/*.S"
echo " * by tests/data/devices/build.sh (GNU as/ld/objcopy), loaded at 0x100000."
echo " *"
echo " * @module"
echo " */"
echo
echo "/** A flat guest image and the address of its interrupt handler. */"
echo "export interface DeviceGuest {"
echo "  /** Bytes to load at 0x100000. */"
echo "  readonly code: Uint8Array;"
echo "  /** Linear address of the interrupt handler. */"
echo "  readonly handler: number;"
echo "}"
echo
echo "function fromHex(hex: string): Uint8Array {"
echo "  return new Uint8Array(hex.match(/../g)!.map((b) => parseInt(b, 16)));"
echo "}"
for f in pitpic lapic ioapic uart x2apic rtc ferr; do
  as --32 -o "$tmp/$f.o" "$f.S"
  ld -m elf_i386 -Ttext=0x100000 -o "$tmp/$f.elf" "$tmp/$f.o"
  objcopy -O binary "$tmp/$f.elf" "$tmp/$f.bin"
  h=$(nm "$tmp/$f.elf" | awk '/ handler$/{print $1}')
  echo
  echo "/** Guest $f.S. */"
  echo "export const $f: DeviceGuest = {"
  echo "  code: fromHex("
  od -An -v -tx1 "$tmp/$f.bin" | tr -d ' \n' | fold -w 80 | sed 's/^/    "/; s/$/" +/'
  echo '    "",'
  echo "  ),"
  echo "  handler: 0x$h,"
  echo "};"
done
rm -rf "$tmp"
