"""The agreement a submission's records are held under, as its newest stored version says."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from anonymise import Agreement, parse_agreement
from hub.models import AgreementVersion

__all__ = ["current_agreement"]


def current_agreement(session: Session, agreement_id: str) -> Agreement | None:
    """The newest version of the agreement, parsed (cached per document text); None when it has none."""
    document = session.scalars(
        select(AgreementVersion.document)
        .where(AgreementVersion.agreement_id == agreement_id)
        .order_by(AgreementVersion.version.desc())
        .limit(1)
    ).first()
    return None if document is None else parse_agreement(document)
