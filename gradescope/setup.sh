#!/usr/bin/env bash
# Gradescope autograder set-up for the RNN course (runs once, when Gradescope builds the image).
#
# The autograder zip holds this file, run_autograder, and a copy of the course repository
# in a folder named rnn-course/ (see the README's "Gradescope" section). It installs Python
# 3.11 and the course package; run_autograder then grades each submission with
# `rnn-course grade` and hands Gradescope its results.json.
set -euo pipefail

SOURCE="${AUTOGRADER:-/autograder}/source"
VENV="${RNN_COURSE_VENV:-/opt/rnn-course}"

if ! command -v python3.11 >/dev/null 2>&1; then
    apt-get update -q
    apt-get install -y -q --no-install-recommends python3.11 python3.11-venv
fi
# bubblewrap: the grader runs each notebook in a sandbox where the container allows it.
apt-get install -y -q --no-install-recommends bubblewrap || true
python3.11 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet "$SOURCE/rnn-course"
