from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ticketry.db import Base, UTCDateTime, utcnow


class ClassifierModel(Base):
    """A queue's learned category model, trained from its own confirmed tickets. Kept in the
    database so every process uses the same one."""

    __tablename__ = "classifier_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), index=True)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    samples: Mapped[int] = mapped_column(Integer)
    # Cross-validated accuracy on the training tickets, when there were enough to measure.
    accuracy: Mapped[float | None] = mapped_column(Float)
    algorithm: Mapped[str] = mapped_column(String(100))
    # A pickled scikit-learn pipeline, written only by `train_queue_classifier`.
    payload: Mapped[bytes] = mapped_column(LargeBinary)
