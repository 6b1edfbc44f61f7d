#!/usr/bin/env bash
# Installs piaojue from this bundle, with no network: the files are checked against SHA256SUMS,
# the system's fonts and libraries for the PDFs are checked (a missing one is named with the
# package to install from the office's mirror, and nothing is installed), then a virtual
# environment is made in .venv from the wheels for this machine only (pip --no-index).
#   ./install.sh              check, install, migrate ($PIAOJUE_DATA, default ./var)
#   ./install.sh --check      only the checks
# Then: `make hall` (the hall's HTTPS server) or scripts/piaojue-hall.service; see README.md.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
arch=$(uname -m)
problems=()

if ! sha256sum --quiet -c SHA256SUMS 2>/dev/null; then
  echo "安装包中的文件与 SHA256SUMS 不符（下载不完整或被改动）：请重新拷贝安装包。" >&2
  sha256sum --quiet -c SHA256SUMS 2>&1 | head -5 >&2 || true
  exit 1
fi
if [ ! -d "wheels/$arch" ]; then
  echo "本安装包没有 $arch 机器的程序包（包含：$(ls wheels | tr '\n' ' ')）。" >&2
  exit 1
fi
if ! command -v "$PYTHON" >/dev/null || ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  problems+=("Python 3.11 或更新版本（Debian/UOS：python3；麒麟/openEuler：python3.11）")
elif ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
  problems+=("Python 的 venv 模块（Debian/UOS：python3-venv）")
else
  glibc=$("$PYTHON" -c 'import platform; print(platform.libc_ver()[1] or "0")')
  if ! "$PYTHON" -c "import sys; v=tuple(map(int,'$glibc'.split('.')[:2])); sys.exit(v < (2, 28))"; then
    problems+=("glibc 2.28 或更新版本（本机 $glibc；请换用较新的操作系统）")
  fi
fi
# (read whole, then searched: `grep -q` in a pipe would end the writer early, and pipefail calls that a failure)
libraries=$(ldconfig -p 2>/dev/null || true)
fonts=$(fc-list : family 2>/dev/null || true)
second=()
library() { [[ "$libraries" == *"$1"* ]] || [ -e "/usr/lib/$arch-linux-gnu/$1" ] || [ -e "/usr/lib64/$1" ]; }
library libpango-1.0.so.0 || problems+=("Pango 排版库（Debian/UOS：libpango-1.0-0 libpangoft2-1.0-0；麒麟/openEuler：pango）")
library libharfbuzz-subset.so.0 || problems+=("HarfBuzz 字体子集库（Debian/UOS：libharfbuzz-subset0；麒麟/openEuler：harfbuzz）")
for font in "Noto Sans CJK SC" "Noto Serif CJK SC"; do
  [[ "$fonts" == *"$font"* ]] || problems+=("中文字体 $font（Debian/UOS：fonts-noto-cjk；麒麟/openEuler：google-noto-sans-cjk-ttc-fonts google-noto-serif-cjk-ttc-fonts）")
done

if [ ${#problems[@]} -gt 0 ]; then
  echo "安装前请先从本单位的软件源安装：" >&2
  printf '  - %s\n' "${problems[@]}" >&2
  exit 1
fi
echo "检查通过：$arch，$("$PYTHON" --version)，PDF 所需字体和库齐全。"
# A congress that prints in a second language (voting/languages.py) needs its script's font too;
# the console's 会前检查 fails without it, so say it now, but do not stop a Chinese-only hall.
for font in "Noto Serif Tibetan" "Noto Naskh Arabic" "Noto Sans Yi"; do
  [[ "$fonts" == *"$font"* ]] || second+=("$font")
done
if [ ${#second[@]} -gt 0 ]; then
  echo "提示：未安装 ${second[*]}。如本届人大设定藏文、维吾尔文或彝文为第二语言，请另装 fonts-noto-core（Debian/UOS）或 google-noto-serif-tibetan-fonts google-noto-naskh-arabic-fonts google-noto-sans-yi-fonts（麒麟/openEuler）。"
fi
[ "${1:-}" = "--check" ] && exit 0

"$PYTHON" -m venv .venv
# Only what the bundle carries: no pip.conf of this machine adds an index or a wheel directory.
PIP_CONFIG_FILE=/dev/null .venv/bin/pip install --quiet --disable-pip-version-check --no-index --find-links "wheels/$arch" \
  --require-hashes -r requirements-runtime.lock
export PIAOJUE_DATA=${PIAOJUE_DATA:-./var}
.venv/bin/piccolo migrations forwards all >/dev/null
touch .venv/.installed
echo "安装完成：.venv（$(.venv/bin/python --version)），数据目录 $PIAOJUE_DATA。启动会场服务：make hall"
