"""The suite's conftest: the harness plugin and the step modules (STYLE §5: registered once here)."""

pytest_plugins = ["harness.plugin", "harness.reader_plugin"]

from steps.access import *  # noqa: E402, F403
from steps.common import *  # noqa: E402, F403
from steps.context import ctx  # noqa: E402,F401
from steps.interop import *  # noqa: E402, F403
from steps.malformed import *  # noqa: E402, F403
from steps.personalization import *  # noqa: E402, F403
from steps.pin_lengths import *  # noqa: E402, F403
from steps.reader_context import rctx  # noqa: E402,F401
from steps.readers import *  # noqa: E402, F403
from steps.readers_library import *  # noqa: E402, F403
from steps.robustness import *  # noqa: E402, F403
from steps.security import *  # noqa: E402, F403
from steps.standards import *  # noqa: E402, F403
from steps.tearing import *  # noqa: E402, F403
