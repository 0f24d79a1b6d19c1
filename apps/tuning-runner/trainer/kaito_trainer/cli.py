"""`python -m kaito_trainer --config trainer-config.json [--check-config]`."""

import argparse
import sys
import traceback

from . import events, exits
from .errors import TrainerFailure


def main(argv=None):
    parser = argparse.ArgumentParser(prog="kaito_trainer")
    parser.add_argument("--config", required=True, help="the runner's merged trainer config (JSON)")
    parser.add_argument("--check-config", action="store_true", help="validate the config against the installed libraries and exit")
    args = parser.parse_args(argv)

    from .train import Termination, is_out_of_memory, run

    termination = Termination()
    termination.install()
    try:
        from .config import load

        plan = load(args.config, dataset_required=not args.check_config)
        if args.check_config:
            events.emit("config-ok", method=plan.method)
            return exits.OK
        return run(plan, termination)
    except TrainerFailure as err:
        events.emit("error", reason=err.reason, message=str(err))
        return err.exit_code
    except SystemExit:
        raise
    except BaseException as err:  # noqa: BLE001 - classify, report, and exit non-zero
        if is_out_of_memory(err):
            events.emit("error", reason="OOMKilled", message=f"GPU out of memory: {str(err).splitlines()[0]}")
            return exits.OUT_OF_MEMORY
        traceback.print_exc(file=sys.stderr)
        events.emit("error", reason="TrainerFailed", message=f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
        return exits.FAILED
