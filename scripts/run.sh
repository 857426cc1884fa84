#!/usr/bin/env bash
# Sets up everything FaceG2E needs on Debian 12 (packages, build) and starts the editor.
#   scripts/run.sh [faceg2e ARGS...]     e.g. scripts/run.sh --face-model ~/ict.f3dm
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
faceg2e_install_packages
faceg2e_configure_and_build
exec "$FACEG2E_BUILD_DIR/app/faceg2e" "$@"
