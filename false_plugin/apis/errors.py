"""The errors a command line reports as one line (``TOOL: error: ...``,
exit status 1) instead of a traceback: each names the file and what is wrong
with it, so the trace would add nothing but noise."""
from ..compat import NotACheckpointError, UnsafeCheckpointError
from ..datasets.raster_io import RasterReadError
from ..models.checkpoints import CheckpointMismatchError
from .config_check import ConfigError

#: Raised for a user's input: a config, a checkpoint or a raster.
USER_ERRORS = (ConfigError, CheckpointMismatchError, NotACheckpointError,
               UnsafeCheckpointError, RasterReadError)
