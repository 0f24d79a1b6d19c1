from . import exits


class TrainerFailure(Exception):
    """A failure with a reason the runner understands; `exit_code` is from exits.py."""

    def __init__(self, exit_code, reason, message):
        super().__init__(message)
        self.exit_code = exit_code
        self.reason = reason


class ConfigError(TrainerFailure):
    def __init__(self, message):
        super().__init__(exits.INVALID_CONFIG, "InvalidConfig", message)


class DatasetError(TrainerFailure):
    def __init__(self, message):
        super().__init__(exits.INVALID_DATASET, "InvalidDataset", message)
