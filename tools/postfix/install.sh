#!/bin/sh
# Installs Postfix + Cyrus SASL for the BDAT interop tests (idempotent; a quick no-op when present). Run as root.
set -e
if command -v postfix >/dev/null 2>&1 && command -v saslpasswd2 >/dev/null 2>&1 && ls /usr/lib/*/sasl2/libsasldb.so* >/dev/null 2>&1; then
  echo "postfix: already installed ($(postconf -d -h mail_version 2>/dev/null || echo '?'))"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else echo "postfix: not root and no sudo: cannot install" >&2; exit 1; fi
fi
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections 2>/dev/null || true
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends postfix sasl2-bin libsasl2-modules >/dev/null
echo "postfix: installed ($(postconf -d -h mail_version 2>/dev/null || echo '?'))"
