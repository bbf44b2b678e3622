"""Error hierarchy: every error carries a one-line message that says what is wrong and what to do."""


class ReelforgeError(Exception):
    """Base of every error reelforge raises on purpose; the CLI prints its message as one line."""


class ConfigError(ReelforgeError):
    """A setting, tool or engine is missing or wrong."""


class InputError(ReelforgeError):
    """A file or value given by the user is unusable (missing, corrupt, unwritable)."""


class StoryboardError(InputError):
    """The storyboard file does not validate; the message names the field and line."""


class ClipRejectedError(ReelforgeError):
    """A generated or supplied clip failed the quality gate (static, slideshow, black, truncated)."""


class RenderError(ReelforgeError):
    """ffmpeg or another render step failed; the message quotes the tool's own last error line."""


class ProviderError(ReelforgeError):
    """A video, voice or LLM provider failed (server error, bad answer, timeout); the message names it."""


class AuthError(ProviderError):
    """The provider refused the credentials; the message names the setting to fix."""


class QuotaError(ProviderError):
    """The provider's rate limit or credit balance stopped the request."""


class ModerationError(ProviderError):
    """The provider refused the prompt or image on content grounds; rewording the scene may help."""
