"""Our exception types. The library raises these; the CLI and app turn them into one clear line."""


class TriageError(Exception):
    """Base class for every error triage reports to a user."""


class ExtractionError(TriageError):
    """A file could not be read as a document (corrupt, encrypted, empty, unsupported)."""


class ConfigError(TriageError):
    """A configuration value or file is invalid."""


class ModelError(TriageError):
    """A model could not be found, loaded or trusted."""


class ModelNotFoundError(ModelError):
    """No trained model (or spaCy pipeline) is available under the configured name."""


class ModelIntegrityError(ModelError):
    """A model artifact's SHA-256 does not match the one recorded when it was saved."""


class StoreError(TriageError):
    """The database could not be opened or a write was refused."""


class ReviewConflictError(StoreError):
    """Someone else decided on the same flag since it was loaded."""


class ArchiveError(ExtractionError):
    """An archive (zip, tar) could not be read as a whole; single members are refused with a reason instead."""


class InputRejectedError(ExtractionError):
    """A file was refused before reading: not a regular file, or over the size limit."""


class AuthError(TriageError):
    """A sign-in failed, or an account could not be created as asked."""


class PermissionDeniedError(AuthError):
    """The signed-in user's role does not allow this page or action."""


class LoginThrottledError(AuthError):
    """Too many failed sign-ins for one account or from one client; the message says how long to wait."""
