"""Write files whole or not at all: to a temporary file beside the target, then rename."""

import os
import tempfile
from pathlib import Path


def write_atomically(path, write):
    """Call write(temporary_path), then move the finished file to path.

    If write raises, the temporary file is removed and path is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The temporary name ends with the target's, suffixes and all (Keras insists on .weights.h5).
    handle, temporary = tempfile.mkstemp(prefix=".", suffix=f"-{path.name}", dir=path.parent)
    os.close(handle)
    try:
        write(temporary)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes files private; outputs are not
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
