"""Checks a Lambda zip for provided.al2023: it holds an executable `bootstrap`
that needs no glibc newer than Amazon Linux 2023's 2.34 and carries no part of
the local HTTP gateway. Prints the sizes."""

import re
import subprocess
import sys
import tempfile
import zipfile

MAX_GLIBC = (2, 34)
LOCAL_GATEWAY_MARKER = b"Missing Authentication Token"


def main(path: str) -> int:
    problems = []
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        if "bootstrap" not in names:
            print(f"{path}: no bootstrap in {names}")
            return 1
        info = archive.getinfo("bootstrap")
        if not (info.external_attr >> 16) & 0o111:
            problems.append("bootstrap is not executable in the zip")
        binary = archive.read("bootstrap")
    with tempfile.NamedTemporaryFile() as file:
        file.write(binary)
        file.flush()
        symbols = subprocess.run(["objdump", "-T", file.name], capture_output=True, text=True, check=True).stdout
    versions = sorted({tuple(map(int, v.split("."))) for v in re.findall(r"GLIBC_(\d+(?:\.\d+)+)", symbols)})
    newest = versions[-1] if versions else (0,)
    if newest > MAX_GLIBC:
        problems.append(f"needs glibc {'.'.join(map(str, newest))}, Amazon Linux 2023 has 2.34")
    if LOCAL_GATEWAY_MARKER in binary:
        problems.append("the local HTTP gateway is linked into bootstrap")
    zip_size = sum(i.compress_size for i in zipfile.ZipFile(path).infolist())
    print(
        f"{path}: bootstrap {len(binary) / 1e6:.1f} MB, zip {zip_size / 1e6:.1f} MB, "
        f"newest glibc symbol {'.'.join(map(str, newest))}"
    )
    for problem in problems:
        print(f"  problem: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
