"""Running git in one repository: commands, streamed output, blobs, and the paths git prints.

Output is streamed rather than held whole where it can be large (blame, the chain's log), and
``-z`` is used wherever git offers it; the few outputs without it run with
``core.quotepath=off`` and are unquoted here.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator, Sequence

from orchestration.lib.git_durability.records import DurabilityStats


class GitError(RuntimeError):
    pass


def decode_path(raw: bytes) -> str:
    # surrogateescape round-trips non-UTF-8 path bytes back into argv unchanged.
    return raw.decode("utf-8", "surrogateescape")


def unquote_c_style(raw: bytes) -> bytes:
    """Undo git's C-style quoting of a path (``"dir/caf\\303\\251 x.txt"``)."""
    if not (raw.startswith(b'"') and raw.endswith(b'"') and len(raw) >= 2):
        return raw
    body, out, i = raw[1:-1], bytearray(), 0
    escapes = {ord("n"): 10, ord("t"): 9, ord("r"): 13, ord("a"): 7, ord("b"): 8, ord("f"): 12}
    escapes |= {ord("v"): 11, ord("\\"): 92, ord('"'): 34}
    while i < len(body):
        ch = body[i]
        if ch == 92 and i + 1 < len(body):
            nxt = body[i + 1]
            octal = body[i + 1 : i + 4]
            if len(octal) == 3 and all(48 <= b <= 55 for b in octal):
                out.append(int(octal, 8))
                i += 4
                continue
            out.append(escapes.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return bytes(out)


class Git:
    """Runs git in one repository (bare or not) and counts invocations."""

    def __init__(self, repo_path: str, stats: DurabilityStats) -> None:
        self.repo_path = repo_path
        self.stats = stats

    def _argv(self, args: Sequence[str]) -> list[str]:
        # quotepath=off keeps UTF-8 names readable in the few outputs that have no -z.
        return ["git", "-C", self.repo_path, "-c", "core.quotepath=off", *args]

    def run(self, args: Sequence[str], stdin: bytes | None = None) -> bytes:
        proc = subprocess.run(self._argv(args), input=stdin, capture_output=True, check=False)
        if proc.returncode != 0:
            message = proc.stderr.decode("utf-8", "replace").strip()
            raise GitError(f"git {' '.join(args)}: {message}")
        return proc.stdout

    def stream(self, args: Sequence[str]) -> Iterator[bytes]:
        """Yield stdout lines (with their b"\\n") without holding the whole output."""
        # stderr goes to a file: a pipe nobody reads could fill up and stall git.
        with tempfile.TemporaryFile() as errors:
            proc = subprocess.Popen(
                self._argv(args), stdout=subprocess.PIPE, stderr=errors, bufsize=1 << 16
            )
            assert proc.stdout is not None
            with proc.stdout:
                yield from proc.stdout
            if proc.wait() != 0:
                errors.seek(0)
                message = errors.read().decode("utf-8", "replace").strip()
                raise GitError(f"git {' '.join(args)}: {message}")


class BlobReader:
    """One ``git cat-file --batch`` for the whole run: blobs by ``<commit>:<path>``."""

    def __init__(self, git: Git) -> None:
        self.git = git
        self._proc: subprocess.Popen[bytes] | None = None

    def read(self, commit: str, path: str) -> bytes | None:
        """The blob's bytes, or None when ``path`` is not a blob in ``commit``."""
        if "\n" in path:
            return None
        if self._proc is None:
            self._proc = subprocess.Popen(
                ["git", "-C", self.git.repo_path, "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            self.git.stats.other_git_invocations += 1
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(f"{commit}:{path}\n".encode("utf-8", "surrogateescape"))
        self._proc.stdin.flush()
        header = self._proc.stdout.readline().split()
        if len(header) != 3 or not header[2].isdigit():  # "<name> missing" (or ambiguous)
            return None
        data = self._proc.stdout.read(int(header[2]) + 1)[:-1]  # content, then a newline
        return data if header[1] == b"blob" else None

    def close(self) -> None:
        if self._proc is not None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc.wait()
            self._proc = None
