# Helpers shared by .ci/run and .ci/postgres.sh (sourced, not run).

section() { printf '\n========== %s ==========\n' "$*"; }
info()    { printf -- '--> %s\n' "$*"; }
die()     { printf '\nCI FAILURE: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }

# apt_install PACKAGE...: Debian packages, as root (apt-get update once per run).
apt_install() {
    is_root || die "need root to apt-get install $*"
    command -v apt-get >/dev/null 2>&1 || die "apt-get not available to install $*"
    if [ -z "${APT_UPDATED:-}" ]; then
        info "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
        APT_UPDATED=1
    fi
    info "apt-get install -y $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" </dev/null
}

# ensure_venv: .venv from $PYTHON (default python3), installing Debian's python3-venv if venv is missing.
ensure_venv() {
    local python=${PYTHON:-python3}
    info "using $(command -v "$python") ($("$python" --version 2>&1))"
    if [ -x .venv/bin/python ]; then
        info ".venv already exists"
        return 0
    fi
    rm -rf .venv
    if ! "$python" -m venv .venv; then
        rm -rf .venv
        info "$python -m venv failed; installing python3-venv"
        apt_install python3-venv
        "$python" -m venv .venv || die "could not create .venv with $python"
    fi
    info "created .venv"
}
