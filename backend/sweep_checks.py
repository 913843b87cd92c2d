"""A sweep's arguments checked before any trial runs (issue 29): the metric must be one the
runs report, the storage URL one that opens, the results folder one that can be written.
Each refusal is one line naming the option."""

from __future__ import annotations

from netcanvas.backend.sweep import SweepError


def metric_names(task: str) -> tuple[str, ...]:
    """What the training runs of a `task` report each epoch (trainer + metrics.py)."""
    if task == "classification":
        return ("val_accuracy", "val_loss", "train_loss", "val_top5")
    return ("val_loss", "val_mse", "val_mae", "val_r2", "train_loss")


def check_metric(metric: str, task: str) -> None:
    names = metric_names(task)
    if metric not in names:
        raise SweepError(f"--metric {metric!r}: the runs of this {task} project report "
                         f"{', '.join(names)}")


def open_storage(url: str):
    """Optuna's RDB storage for `url`, or SweepError saying why it cannot be used: an
    unparsable URL, a database driver that is not installed, a file that cannot be made."""
    import optuna
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

    try:
        dialect = make_url(url).get_dialect()
        (getattr(dialect, "import_dbapi", None) or dialect.dbapi)()  # SQLAlchemy 2 / 1.4
    except (NoSuchModuleError, ImportError) as exc:  # NoSuchModuleError is an ArgumentError
        raise SweepError(f"--storage {url!r}: its database driver is not installed "
                         f"({str(exc).splitlines()[0]})") from None
    except ArgumentError:
        raise SweepError(f"--storage {url!r}: not a database URL (e.g. "
                         "sqlite:///sweep.db)") from None
    try:
        return optuna.storages.RDBStorage(url)
    except (SQLAlchemyError, OSError, ValueError, ImportError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise SweepError(f"--storage {url!r}: cannot open it ({reason})") from None
