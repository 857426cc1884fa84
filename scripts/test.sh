#!/usr/bin/env bash
# Sets up and builds as scripts/run.sh does, then runs the whole test suite.
#   scripts/test.sh [ctest ARGS...]      e.g. scripts/test.sh -R Face
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
faceg2e_install_packages
faceg2e_install_node
faceg2e_install_gltf_validator
faceg2e_configure_and_build
faceg2e_log "running the tests"
# Tests are mostly single-threaded torch work; two at a time fits a 2-core machine.
ctest --test-dir "$FACEG2E_BUILD_DIR" --output-on-failure -j "$FACEG2E_JOBS" "$@"
