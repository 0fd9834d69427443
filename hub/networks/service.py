"""The network views, each answered for one principal and audited with the providers it drew on.

- :func:`list_networks` and :func:`chart` — for an analyst or a police partner's user holding a
  ``networks`` grant (``anonymise.policy.network_sources``): a network is shown only when every
  provider whose incidents it joins shares networks with the viewer.
- :func:`counts` — for anyone who may see a borough's detail (a borough officer): how many
  networks touch the borough, disclosure-controlled, with the privacy label.

The link graph itself is built in ``hub.records.networks`` (at ingest, withdrawal and purge);
which records share a person or a selector is ``hub.records.links.shared_links``. Nothing here commits.
"""

from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import and_, exists, false, func, not_, or_, select
from sqlalchemy.orm import Session

from anonymise import (
    BY_GSS,
    DisclosureRules,
    KeyedCount,
    Visibility,
    network_sources,
    protect_count,
)
from hub import audit
from hub.auth.principal import Principal
from hub.errors import Forbidden, NotFound
from hub.models import (
    Incident,
    IncidentCode,
    Network,
    NetworkFacet,
    NetworkMember,
    Organisation,
    Person,
    PersonCluster,
    Selector,
    Submission,
)
from hub.networks import chart as charts
from hub.networks.schemas import Chart, NetworkCounts, NetworkItem, NetworkList, NetworkSources
from hub.records import networks
from hub.statistics import access, figures
from hub.statistics.access import BadQuestion

__all__ = ["FULL_CHART", "PAGE", "chart", "counts", "list_networks", "sources_for"]

PAGE: Final = 50
FULL_CHART: Final = 150
"""A network of at most this many nodes is charted whole; a larger one a node at a time."""


def sources_for(session: Session, principal: Principal) -> Visibility:
    """The providers this principal's network views may draw on; 403 when there are none."""
    visibility = network_sources(
        access.governing_agreements(session), access.viewer_of(principal), today=datetime.now(UTC).date()
    )
    if not visibility.sources:
        raise Forbidden("no agreement shares networks with your organisation")
    return visibility


def _visible(session: Session, visibility: Visibility) -> Any:
    """Networks of an agreement the viewer draws on, with no provider outside what it may see.

    A network's providers are those of its incidents' submissions, so where the viewer may see
    every provider that ever submitted under the agreement (an analyst, usually), the per-network
    provider check is left out: at 135,000 networks it was most of a list's time (``bench/networks.py``)."""
    by_agreement: dict[str, set[str]] = {}
    for agreement_id, provider in visibility.sources:
        by_agreement.setdefault(agreement_id, set()).add(provider)
    submitted: dict[str, set[str]] = {}
    for agreement_id, org_id in session.execute(
        select(Submission.agreement_id, Submission.org_id).where(Submission.agreement_id.in_(sorted(by_agreement))).distinct()
    ):
        submitted.setdefault(str(agreement_id), set()).add(str(org_id))
    clauses = [
        Network.agreement_id == agreement_id
        if submitted.get(agreement_id, set()) <= providers
        else and_(
            Network.agreement_id == agreement_id,
            not_(exists().where(
                NetworkFacet.network_id == Network.id, NetworkFacet.facet == "provider",
                NetworkFacet.value.not_in(sorted(providers)),
            )),
        )
        for agreement_id, providers in sorted(by_agreement.items())
    ]
    return or_(*clauses) if clauses else false()


def _sources(visibility: Visibility) -> NetworkSources:
    return NetworkSources(
        partners_included=len(visibility.providers), partners_considered=visibility.providers_considered,
        agreements=[f"{a} v{v}" for a, v in visibility.agreements], explanations=list(visibility.explanations),
    )


def _faceted(facet: str, value: str) -> Any:
    return exists().where(NetworkFacet.network_id == Network.id, NetworkFacet.facet == facet, NetworkFacet.value == value)


def _audit(session: Session, principal: Principal, target: str, providers: set[str], details: dict[str, object]) -> None:
    audit.record(session, actor=principal.actor, action="networks.read", target=target, providers=sorted(providers),
                 details=details)


def _item(network: Network, names: dict[str, str], latest: dict[str, str]) -> NetworkItem:
    quarter = latest.get(network.agreement_id, network.last_quarter)
    added = networks.added_in(network, quarter)
    before = network.incidents - added
    return NetworkItem(
        number=network.id, incidents=network.incidents, people=network.people, selectors=dict(network.selectors),
        partners=[names.get(p, p) for p in network.providers],
        boroughs=[BY_GSS[g].name if g in BY_GSS else g for g in network.boroughs],
        exploitation_types=list(network.exploitation_types), first_month=network.first_month,
        last_month=network.last_month, last_quarter=quarter, added_last_quarter=added,
        growth_percent=round(100 * added / before, 1) if before else None,
        spans_boroughs=len(network.boroughs) > 1, county_lines=network.county_lines,
    )


def _month(value: str | None, name: str) -> str | None:
    if value is not None and (len(value) != 7 or value[4] != "-" or not (value[:4] + value[5:]).isdigit()):
        raise BadQuestion(f"{name} must look like 2026-07")
    return value


def list_networks(
    session: Session, principal: Principal, *, borough: str | None = None, kind: str | None = None,
    min_size: int = 2, max_size: int | None = None, since: str | None = None, until: str | None = None, offset: int = 0,
) -> NetworkList:
    """The networks the principal may see, largest first, filtered by borough, exploitation type,
    size (incidents) and period (a network counts when its months overlap it)."""
    visibility = sources_for(session, principal)
    if borough is not None and borough not in BY_GSS:
        raise NotFound("no such borough: use a London GSS code (E09…)")
    where = [_visible(session, visibility), Network.incidents >= max(min_size, 2)]
    if max_size is not None:
        where.append(Network.incidents <= max_size)
    if borough is not None:
        where.append(_faceted("borough", borough))
    if kind is not None:
        where.append(_faceted("type", kind))
    if (start := _month(since, "since")) is not None:
        where.append(Network.last_month >= start)
    if (end := _month(until, "until")) is not None:
        where.append(Network.first_month <= end)
    total = session.scalar(select(func.count()).select_from(Network).where(*where)) or 0
    rows = session.scalars(
        select(Network).where(*where).order_by(Network.incidents.desc(), Network.id).offset(max(offset, 0)).limit(PAGE)
    ).all()
    names = {str(i): str(n) for i, n in session.execute(select(Organisation.id, Organisation.name))}
    drawn = {p for n in rows for p in n.providers}
    _audit(session, principal, "networks:list", drawn, {
        "shown": len(rows), "total": int(total), "borough": borough, "type": kind, "min_size": min_size,
        "max_size": max_size, "since": since, "until": until,
    })
    latest = {a: networks.latest_quarter(session, a) for a in sorted({n.agreement_id for n in rows})}
    return NetworkList(networks=[_item(n, names, latest) for n in rows], total=int(total), offset=offset,
                       sources=_sources(visibility))


def _graph(session: Session, network_id: int) -> charts.Graph:
    members = select(NetworkMember.incident_id).where(NetworkMember.network_id == network_id)
    types: dict[int, list[str]] = {}
    for incident_id, code in session.execute(
        select(IncidentCode.incident_id, IncidentCode.code)
        .where(IncidentCode.incident_id.in_(members), IncidentCode.field == "exploitation_types")
        .order_by(IncidentCode.code)
    ):
        types.setdefault(int(incident_id), []).append(str(code))
    incidents = [
        charts.IncidentRow(int(i), str(m), g, str(k), tuple(types.get(int(i), ())))
        for i, m, g, k in session.execute(
            select(Incident.id, Incident.first_known_month, Incident.la_gss_code, Organisation.kind)
            .join(Organisation, Organisation.id == Incident.org_id)
            .where(Incident.id.in_(members))
        )
    ]
    selectors = [
        (int(i), str(k), str(v))
        for i, k, v in session.execute(
            select(Selector.incident_id, Selector.kind, Selector.selector_key).where(Selector.incident_id.in_(members))
        )
    ]
    people = [
        (int(i), int(c), str(r))
        for i, c, r in session.execute(
            select(Person.incident_id, PersonCluster.cluster_id, Person.role)
            .join(PersonCluster, PersonCluster.person_id == Person.id)
            .where(Person.incident_id.in_(members))
        )
    ]
    return charts.build(incidents, selectors, people)


def chart(session: Session, principal: Principal, number: int, *, expand: str | None = None) -> Chart:
    """One network's link chart: whole when small, else one node and its neighbours (``expand``,
    by default the incident holding most shared nodes)."""
    visibility = sources_for(session, principal)
    network = session.scalars(select(Network).where(Network.id == number, _visible(session, visibility))).first()
    if network is None:
        raise NotFound("no such network among those shared with you (numbers change when networks are rebuilt)")
    graph = _graph(session, network.id)
    if expand is not None and expand not in graph.nodes:
        raise NotFound("no such node in this network")
    complete = expand is None and len(graph.nodes) <= FULL_CHART
    if complete:
        shown, focus = list(graph.nodes), None
    else:
        focus = expand or max(
            (n for n in graph.nodes if n.startswith("incident-")), key=lambda n: (graph.nodes[n].degree, n)
        )
        shown = [focus, *sorted(graph.adjacency[focus])]
    _audit(session, principal, f"networks:chart:{network.id}", set(network.providers), {
        "network": network.id, "nodes": len(shown), "expand": expand is not None,
    })
    return Chart(
        network=network.id, nodes=[graph.nodes[n] for n in shown], edges=graph.edges(shown), focus=focus,
        complete=complete, total_nodes=len(graph.nodes), sources=_sources(visibility),
    )


def counts(session: Session, principal: Principal, area: str | None = None) -> NetworkCounts:
    """How many networks touch a borough, drawn only from the providers whose borough detail the
    principal may see, each count suppressed or cell-key perturbed by the agreements' disclosure rules."""
    gss = area or principal.gss_code
    if gss is None:
        raise BadQuestion("name a borough: your organisation has none")
    visibility = access.visibility_for(session, principal, gss)
    if not visibility.sources:
        raise Forbidden("no agreement shares this borough's detail with your organisation")
    rules = DisclosureRules(min_count=visibility.min_count, rounding_base=visibility.rounding_base)
    where = [_visible(session, visibility), _faceted("borough", gss)]
    rows = session.execute(
        select(Network.id, Network.boroughs, Network.county_lines, Network.providers, Network.record_key).where(*where)
    ).all()
    key_of = {r.id: r.record_key for r in rows}
    own = {r.id for r in rows if principal.org_id in r.providers}
    typed: dict[str, list[int]] = {}
    for network_id, code in session.execute(
        select(NetworkFacet.network_id, NetworkFacet.value)
        .where(NetworkFacet.facet == "type", NetworkFacet.network_id.in_([r.id for r in rows]))
    ):
        typed.setdefault(str(code), []).append(int(network_id))

    def figure(ids: list[int], key: str, label: str) -> Any:
        # cell-key perturbed like every published count: the cell's key is its networks' keys summed
        # (each its incidents' record keys), so the same networks give the same figure everywhere and
        # any change of them (one incident more in one network) a fresh draw a prober cannot predict
        count = KeyedCount(len(ids), sum(key_of[i] for i in ids))
        cell = protect_count(count, rules, own=sum(1 for i in ids if i in own))
        return figures.figure(cell, key, label, rules.min_count)

    all_ids = [r.id for r in rows]
    result = NetworkCounts(
        area=gss, area_name=access.scope_name(gss),
        networks=figure(all_ids, "networks", "Networks touching the borough"),
        spanning_boroughs=figure([r.id for r in rows if len(r.boroughs) > 1], "spanning", "… that span other boroughs"),
        county_lines=figure([r.id for r in rows if r.county_lines], "county_lines", "… with county lines incidents"),
        by_type=[figure(ids, f"type:{code}", code.replace("_", " ")) for code, ids in sorted(typed.items())],
        privacy=figures.privacy(visibility),
    )
    _audit(session, principal, f"networks:counts:{gss}", set(visibility.providers), {"scope": gss, "networks": len(rows)})
    return result
