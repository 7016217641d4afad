"""Checks a Lambda zip for provided.al2023: it holds an executable `bootstrap`
built for the given architecture, needing no glibc newer than Amazon Linux
2023's 2.34 and carrying no part of the local HTTP gateway. Prints the sizes.

    python3 deploy/check_package.py --architecture x86_64 target/lambda/bootstrap/bootstrap.zip
"""

import argparse
import re
import subprocess
import sys
import tempfile
import zipfile

MAX_GLIBC = (2, 34)
LOCAL_GATEWAY_MARKER = b"Missing Authentication Token"
# The template's Architecture values and the ELF e_machine of each.
ELF_MACHINES = {"x86_64": 62, "arm64": 183}


def elf_architecture(binary: bytes) -> str:
    """The template's name for the architecture of a little-endian ELF file."""
    if binary[:4] != b"\x7fELF" or len(binary) < 20 or binary[5] != 1:
        return "not a little-endian ELF file"
    machine = int.from_bytes(binary[18:20], "little")
    names = [name for name, number in ELF_MACHINES.items() if number == machine]
    return names[0] if names else f"ELF machine {machine}"


def newest_glibc(binary: bytes) -> tuple:
    """The newest GLIBC_x.y symbol version the binary needs, per `objdump -T`."""
    with tempfile.NamedTemporaryFile() as file:
        file.write(binary)
        file.flush()
        symbols = subprocess.run(["objdump", "-T", file.name], capture_output=True, text=True, check=True).stdout
    versions = sorted({tuple(map(int, v.split("."))) for v in re.findall(r"GLIBC_(\d+(?:\.\d+)+)", symbols)})
    return versions[-1] if versions else (0,)


def main(path: str, architecture: str) -> int:
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
        zip_size = sum(i.compress_size for i in archive.infolist())
    built_for = elf_architecture(binary)
    if built_for != architecture:
        problems.append(f"bootstrap is built for {built_for}, not {architecture}")
    newest = newest_glibc(binary)
    if newest > MAX_GLIBC:
        problems.append(f"needs glibc {'.'.join(map(str, newest))}, Amazon Linux 2023 has 2.34")
    if LOCAL_GATEWAY_MARKER in binary:
        problems.append("the local HTTP gateway is linked into bootstrap")
    print(
        f"{path}: {built_for}, bootstrap {len(binary) / 1e6:.1f} MB, zip {zip_size / 1e6:.1f} MB, "
        f"newest glibc symbol {'.'.join(map(str, newest))}"
    )
    for problem in problems:
        print(f"  problem: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--architecture", choices=sorted(ELF_MACHINES), required=True)
    parser.add_argument("zip")
    arguments = parser.parse_args()
    sys.exit(main(arguments.zip, arguments.architecture))
