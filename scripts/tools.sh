# Sourced by scripts: puts the pinned tools of scripts/tools.txt on PATH from target/tools,
# creating or updating that virtualenv when the list changed.
tools_dir="$PWD/target/tools"
if [ ! -x "$tools_dir/bin/python" ] || ! cmp -s scripts/tools.txt "$tools_dir/tools.txt"; then
  echo "Installing the tools of scripts/tools.txt into target/tools ..."
  python3 -m venv "$tools_dir"
  "$tools_dir/bin/pip" install --quiet --disable-pip-version-check -r scripts/tools.txt
  cp scripts/tools.txt "$tools_dir/tools.txt"
fi
export PATH="$tools_dir/bin:$PATH"
