#!/bin/bash
# "Boot from the local disk" on OVMF: the inventory answers boot = local, a script's
# exit 1, the menu's default; and the chain script's own menu "Exit to the next boot
# device": each time the firmware must boot the next device (a second disk), CD and USB.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/_exitlocal.sh"
e2e_require qemu-system-x86_64
exitlocal_site
for c in local exit1 menu chainmenu; do exitlocal_boot uefi cd $c; done
for c in local exit1; do exitlocal_boot uefi usb $c; done
cbd_stop
e2e_finish
