#!/usr/bin/env bash
# Debian packages the tests and printing need; installed with apt-get when missing.
#   fonts-noto-cjk        Chinese fonts for pages, PDFs and screenshots
#   fonts-noto-core       Tibetan, Uyghur (Arabic script) and Yi fonts for a congress's second language
#   libharfbuzz-subset0   font subsetting for WeasyPrint (without it a Chinese PDF takes seconds)
#   libpango-1.0-0 libpangoft2-1.0-0  WeasyPrint's text layout
#   postgresql            the second database engine the suite runs on
#   chromium              the real browser for deputies' and secretariat's pages
#   webkit2gtk-driver xvfb  WebKit (the iPad's engine: MiniBrowser and WebKitWebDriver) on a virtual screen
#   poppler-utils         pdftoppm, to look at printed pages
#   nginx-light           the reverse proxy in front of several app nodes (tests/province)
#   npm                   (only when no npm is on the PATH) installs axe-core for the accessibility test
set -euo pipefail
packages=(fonts-noto-cjk fonts-noto-core libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 postgresql chromium webkit2gtk-driver xvfb
          poppler-utils nginx-light)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
command -v npm >/dev/null || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
  echo "not root: run  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
