"""Which stored records share a person or a selector with a submission's records: the link graph's edges, read.

One question, asked by the networks views and by alerts: for each incident of a submission, the
other active incidents of the same agreement holding the same hub person (``person_clusters``)
or the same selector (hub re-keyed, compared within its kind). Where the agreement does not allow
cross-partner linkage, only the same provider's incidents are returned. Kinds and ids only:
never a pseudonym.
"""

from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from hub.models import Incident, Person, PersonCluster, Selector, Submission, SubmissionStatus
from hub.records.networks import PERSON, cross_partner

__all__ = ["SharedLink", "shared_links"]


@dataclass(frozen=True, order=True)
class SharedLink:
    """``incident_id`` (of the submission asked about) shares a ``kind`` node with ``other_incident_id``."""

    incident_id: int
    other_incident_id: int
    other_org_id: str
    kind: str  # "person", or a selector kind
    other_month: str  # the other incident's first known month


def shared_links(session: Session, submission_id: str) -> list[SharedLink]:
    """Every link from this submission's incidents to another active incident of its agreement.

    A submission's incidents linked to each other are included too (``other_org_id`` is then the
    submission's own provider): callers wanting cross-partner links filter on it.
    """
    agreement_id = session.scalar(select(Submission.agreement_id).where(Submission.id == submission_id))
    if agreement_id is None:
        return []
    other = aliased(Incident)
    active = and_(
        Submission.id == other.submission_id,
        Submission.status == SubmissionStatus.active.value,
        Submission.agreement_id == agreement_id,
    )
    s1, s2 = aliased(Selector), aliased(Selector)
    by_selector = (
        select(s1.incident_id, s2.incident_id, other.org_id, s1.kind, other.first_known_month)
        .join(s2, and_(s2.selector_key == s1.selector_key, s2.kind == s1.kind, s2.incident_id != s1.incident_id))
        .join(other, other.id == s2.incident_id)
        .join(Submission, active)
        .where(s1.submission_id == submission_id)
    )
    p1, p2 = aliased(Person), aliased(Person)
    c1, c2 = aliased(PersonCluster), aliased(PersonCluster)
    by_person = (
        select(p1.incident_id, p2.incident_id, other.org_id, other.first_known_month)
        .join(c1, c1.person_id == p1.id)
        .join(c2, and_(c2.cluster_id == c1.cluster_id, c2.agreement_id == c1.agreement_id, c2.person_id != c1.person_id))
        .join(p2, and_(p2.id == c2.person_id, p2.incident_id != p1.incident_id))
        .join(other, other.id == p2.incident_id)
        .join(Submission, active)
        .where(p1.submission_id == submission_id)
    )
    own = session.scalar(select(Submission.org_id).where(Submission.id == submission_id))
    cross = cross_partner(session, agreement_id)
    links = {SharedLink(int(a), int(b), str(org), str(kind), str(month)) for a, b, org, kind, month in session.execute(by_selector)}
    links |= {SharedLink(int(a), int(b), str(org), PERSON, str(month)) for a, b, org, month in session.execute(by_person)}
    return sorted(link for link in links if cross or link.other_org_id == own)
