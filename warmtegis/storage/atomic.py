"""All-or-nothing output sets: check every output path first, write to temporary names, commit.

A study run writes several files (GeoPackage, summary CSV and Markdown, heat-density raster,
map). Each one written atomically on its own is not enough: a failure after the first rename
leaves a new GeoPackage beside an old summary. :class:`OutputSet` makes the set one unit:

1. **Before the run** every path is checked (:meth:`OutputSet.check`): its folder exists and
   is writable, it is not a folder, it is not one of the inputs, no two outputs coincide. A
   problem is an :class:`~warmtegis.InputError` naming the path and the fix, raised before
   any data is read.
2. **During the run** every file is written to a hidden temporary name beside its final path
   (:meth:`OutputSet.temp`); the final paths are not touched.
3. **At the end** (:meth:`OutputSet.commit`) a small journal listing the renames is written
   and synced, the temporary files are renamed onto the final paths, and the journal is
   removed. A run killed between the journal and the last rename is rolled forward by the
   next run on the same output (the journal is only written once every file is complete), so
   the set on disk is always either the old one or the new one.
4. **Stale files** of a killed run (temporary files whose process is gone) are removed when the
   next run on the same output starts.

On any error before the commit the temporary files are removed and the old set stays as it was.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from warmtegis.core.errors import InputError, OutputError
from warmtegis.core.log import log

__all__ = ["OutputSet", "atomic_dir", "atomic_path", "describe_os_error", "remove_stale"]

_TMP = ".warmtegis-tmp-"
_JOURNAL = ".warmtegis-commit"
_PID = re.compile(r"^(\d+)")


def _is_temp(path: Path) -> bool:
    return _TMP in path.name


def remove_stale(path: str | os.PathLike[str]) -> int:
    """Remove temporary files of `path` left by killed runs (whose process is gone).

    Returns the number of files removed.
    """
    path = Path(path)
    prefix = f".{path.name}{_TMP}"
    stale = 0
    with contextlib.suppress(OSError):
        for tmp in path.parent.glob(f"{prefix}*"):
            pid = _PID.match(tmp.name[len(prefix) :])
            if pid is not None and _pid_alive(int(pid.group(1))):
                continue
            with contextlib.suppress(OSError):
                tmp.unlink()
                stale += 1
    if stale:
        log(f"{path}: removed {stale} temporary file(s) an interrupted run left behind")
    return stale


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside `path` that replaces `path` when the block succeeds.

    On any error the temporary file is removed and an existing `path` stays untouched, so
    a failed run never leaves a half-written output or overwrites a good one. A path that is
    itself an :class:`OutputSet` temporary name is yielded as is (the set commits it).
    """
    path = Path(path)
    if _is_temp(path):
        yield path
        return
    if not path.parent.is_dir():
        raise InputError(f"output folder {path.parent} does not exist; create it first")
    if path.is_dir():
        raise InputError(f"output {path} is a folder; give a file name inside it")
    remove_stale(path)
    tmp = path.parent / f".{path.name}{_TMP}{os.getpid()}-{uuid.uuid4().hex[:8]}{path.suffix}"
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary folder beside `path` that replaces the folder `path` when done.

    The new folder is written whole under a hidden name; on success an existing `path` is
    moved aside, the new one renamed onto it and the old one removed, so the folder holds
    either the old set or the new one, never a mix. On any error the temporary folder is
    removed and `path` stays as it was. A run killed between the two renames leaves the old
    set under ``.<name>.warmtegis-old-<pid>`` beside it.
    """
    import shutil

    path = Path(path).absolute()
    parent = path.parent
    if not parent.is_dir():
        raise InputError(
            f"output folder {parent} does not exist; create it first (mkdir -p {parent})"
        )
    if path.exists() and not path.is_dir():
        raise InputError(f"output {path} is a file; give a folder name")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(
            f"cannot write to the output folder {parent}: permission denied; choose another folder"
        )
    tag = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp = parent / f".{path.name}{_TMP}{tag}"
    tmp.mkdir()
    try:
        yield tmp
        old = parent / f".{path.name}.warmtegis-old-{tag}"
        if path.exists():
            os.replace(path, old)
        os.replace(tmp, path)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def describe_os_error(
    exc: OSError, path: str | os.PathLike[str] | None = None, verb: str = "write"
) -> str:
    """Return one line for an operating-system error: the path, the cause and the fix."""
    where = path or exc.filename or "(unknown path)"
    if verb == "use" and exc.errno in (errno.EACCES, errno.EPERM) and exc.filename:
        file = Path(exc.filename)
        if file.exists() and not os.access(file, os.R_OK):
            return f"cannot read {file}: permission denied; make it readable or copy it"
        folder = file if file.is_dir() else file.parent
        return (
            f"cannot write {file}: permission denied in {folder}; choose a folder you may write to"
        )
    hints = {
        errno.ENOSPC: "the disk is full: free space or write to another disk",
        errno.EDQUOT: "the disk quota is used up: free space or write elsewhere",
        errno.EACCES: "permission denied: choose a folder you may write to",
        errno.EPERM: "operation not permitted: choose a folder you may write to",
        errno.EROFS: "the file system is read-only: write to another folder",
        errno.EISDIR: "this is a folder, not a file: give a file name",
        errno.ENOENT: "no such file or folder",
    }
    hint = hints.get(exc.errno or -1, exc.strerror or str(exc))
    return f"cannot {verb} {where}: {hint}"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class OutputSet:
    """A set of output files written all-or-nothing (see the module documentation).

    Parameters
    ----------
    paths
        The final output paths.
    inputs
        Input files the outputs must not overwrite.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> outs = OutputSet([d / "a.csv", d / "b.md"])
    >>> with outs:
    ...     _ = outs.temp(d / "a.csv").write_text("x")
    ...     _ = outs.temp(d / "b.md").write_text("y")
    >>> sorted(p.name for p in d.iterdir())
    ['a.csv', 'b.md']
    """

    def __init__(self, paths: Sequence[str | os.PathLike[str]], inputs: Iterable[Path] = ()):
        self.paths = [Path(p).absolute() for p in paths]
        self.inputs = [Path(p) for p in inputs]
        self._temps: dict[Path, Path] = {}
        self.check()
        self._recover()

    # ----------------------------------------------------------------- before the run
    def check(self) -> None:
        """Refuse output paths that cannot be written or would overwrite an input."""
        problems: list[str] = []
        seen: set[Path] = set()
        for path in self.paths:
            parent = path.parent
            if path in seen:
                problems.append(f"output {path} is named twice; give each output its own name")
            seen.add(path)
            if path.is_dir():
                problems.append(f"output {path} is a folder; give a file name inside it")
                continue
            if not parent.is_dir():
                problems.append(
                    f"output folder {parent} does not exist; create it first "
                    f"(mkdir -p {parent}) or choose another path"
                )
                continue
            if not os.access(parent, os.W_OK | os.X_OK):
                read_only = bool(os.statvfs(parent).f_flag & os.ST_RDONLY)
                problem = (
                    f"cannot write to the output folder {parent}: "
                    f"{'the file system is read-only' if read_only else 'permission denied'}; "
                    "choose a folder you may write to (--out)"
                )
                if problem not in problems:
                    problems.append(problem)
            elif path.exists() and not os.access(path, os.W_OK):
                problems.append(f"output {path} exists and is read-only; remove or rename it")
            for source in self.inputs:
                if _same_file(path, source):
                    problems.append(
                        f"output {path} is the input file {source}; writing it would destroy "
                        "the input - choose another output name"
                    )
        if problems:
            raise InputError(problems)

    def _recover(self) -> None:
        """Finish a commit a killed run left half done; remove stale temporary files."""
        journal = self._journal()
        if journal.exists():
            try:
                pairs = json.loads(journal.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                pairs = []
            done = 0
            for tmp, final in pairs:
                if Path(tmp).exists():
                    os.replace(tmp, final)
                    done += 1
            journal.unlink(missing_ok=True)
            log(f"{self.paths[0]}: finished the commit of an interrupted run ({done} renames)")
        for path in self.paths:
            remove_stale(path)

    def _journal(self) -> Path:
        first = self.paths[0]
        return first.parent / f".{first.name}{_JOURNAL}"

    # ----------------------------------------------------------------- during the run
    def temp(self, path: str | os.PathLike[str]) -> Path:
        """Return the temporary path to write `path`'s content to (same folder, same suffix)."""
        final = Path(path).absolute()
        if final not in self.paths:
            raise ValueError(f"{final} is not one of this output set's paths")
        if final not in self._temps:
            self._temps[final] = final.parent / f".{final.name}{_TMP}{os.getpid()}{final.suffix}"
        return self._temps[final]

    # ----------------------------------------------------------------- at the end
    def commit(self) -> list[Path]:
        """Rename every written temporary file onto its final path; return the final paths."""
        missing = [str(f) for f, t in self._temps.items() if not t.exists()]
        if missing:
            raise RuntimeError(f"output set: not written: {', '.join(missing)}")
        pairs = [(str(t), str(f)) for f, t in self._temps.items()]
        journal = self._journal()
        with open(journal, "w", encoding="utf-8") as fh:
            json.dump(pairs, fh)
            fh.flush()
            os.fsync(fh.fileno())
        for tmp, final in pairs:
            os.replace(tmp, final)
        journal.unlink()
        with contextlib.suppress(OSError):  # make the renames durable
            fd = os.open(self.paths[0].parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        done = list(self._temps)
        self._temps.clear()
        return done

    def abort(self) -> None:
        """Remove the temporary files; the final paths stay as they were."""
        for tmp in self._temps.values():
            with contextlib.suppress(OSError):
                tmp.unlink()
        self._temps.clear()

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        if kind is None:
            self.commit()
        else:
            self.abort()

    @contextlib.contextmanager
    def writing(self, path: str | os.PathLike[str]) -> Iterator[Path]:
        """Yield the temporary path of `path`; a failed write names the final path and cause.

        Operating-system errors, and the write errors GDAL (pyogrio) and rasterio raise on a
        full disk or a read-only folder, become an :class:`~warmtegis.OutputError`.
        """
        tmp = self.temp(path)
        try:
            yield tmp
        except OSError as exc:
            raise OutputError(describe_os_error(exc, path)) from exc
        except Exception as exc:
            if not _is_write_error(exc):
                raise
            raise OutputError(_describe_write_error(exc, Path(path))) from exc


def _is_write_error(exc: Exception) -> bool:
    """GDAL's and rasterio's errors for a file that cannot be written (not bad data)."""
    module = type(exc).__module__ or ""
    names = ("DataSourceError", "DataLayerError", "RasterioIOError", "CPLE_")
    return module.startswith(("pyogrio", "rasterio")) and type(exc).__name__.startswith(names)


def _describe_write_error(exc: Exception, path: Path) -> str:
    """Say why GDAL could not write `path`: a full disk when that is what the disk says."""
    import shutil

    try:
        free = shutil.disk_usage(path.parent).free
    except OSError:
        free = -1
    if 0 <= free < 1024 * 1024:
        full = describe_os_error(OSError(errno.ENOSPC, "No space left on device"), path)
        return f"{full} ({free // 1024} KiB free; {type(exc).__name__}: {exc})"
    return (
        f"cannot write {path}: {type(exc).__name__}: {exc}; check that the folder is writable "
        "and the disk has room"
    )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False
