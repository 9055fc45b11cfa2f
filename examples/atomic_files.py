"""Files written so that a failure midway loses nothing: the example scripts
write through a temporary file in the target's folder and rename it over the
target only once it is complete."""

import os
import tempfile


def write_atomically(path, write):
    """Calls write(tmp) on a temporary path next to `path`, then renames it to
    `path`; on any error the temporary file is removed and `path` is untouched."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
    os.close(handle)
    try:
        write(tmp)
        mask = os.umask(0)  # mkstemp makes the file private; give it the usual mode
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
