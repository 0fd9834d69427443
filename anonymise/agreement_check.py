"""Reading an agreement file with every problem named by field path and line, never by value.

>>> problems = check_agreement_text("id: x\\nversion: 0\\n")
>>> [(p.path, p.line) for p in problems][:2]
[('id', 1), ('version', 2)]
"""

import re
from dataclasses import dataclass
from typing import Final

import yaml
from pydantic import ValidationError

from anonymise.agreement import Agreement

_PATH_IN_MESSAGE: Final = re.compile(
    r"^([a-z0-9_]+(?:\[\d+\])?(?:\.[a-z0-9_]+(?:\[\d+\])?)*): (.*)$"
)
_PATH_PART: Final = re.compile(r"([a-z0-9_]+)(?:\[(\d+)\])?")
_QUOTED: Final = re.compile(r"'[^']*'|\"[^\"]*\"")  # what YAML quotes from the input (an alias, a character)


@dataclass(frozen=True)
class AgreementProblem:
    """One thing wrong with an agreement file: where (field path, line, column) and which rule."""

    path: str
    line: int | None
    column: int | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line is not None else ""
        return f"{where}{self.path or '(document)'}: {self.message}"


class AgreementInvalid(ValueError):
    """An agreement file that does not validate; ``problems`` lists each one with its position."""

    def __init__(self, problems: list[AgreementProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def _node_at(root: yaml.Node | None, parts: list[str | int]) -> yaml.Node | None:
    node = root
    for part in parts:
        if isinstance(node, yaml.MappingNode):
            node = next(
                (
                    v
                    for k, v in node.value
                    if isinstance(k, yaml.ScalarNode) and k.value == str(part)
                ),
                None,
            )
            if node is None:
                return None
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return None
            node = node.value[part]
        else:
            return None
    return node


def _locate(root: yaml.Node | None, parts: list[str | int]) -> tuple[int | None, int | None]:
    # The deepest node that exists along the path: a missing field points at its parent.
    for depth in range(len(parts), -1, -1):
        node = _node_at(root, parts[:depth])
        if node is not None:
            return node.start_mark.line + 1, node.start_mark.column + 1
    return None, None


def _dotted(parts: list[str | int]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _parts_of(dotted: str) -> list[str | int]:
    parts: list[str | int] = []
    for match in _PATH_PART.finditer(dotted):
        parts.append(match.group(1))
        if match.group(2) is not None:
            parts.append(int(match.group(2)))
    return parts


def check_agreement_text(text: str) -> list[AgreementProblem]:
    """Every problem of an agreement file, each with its field path and line; empty when valid.

    :param text: the YAML of one agreement.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        return [
            AgreementProblem(
                path="",
                line=mark.line + 1 if mark else None,
                column=mark.column + 1 if mark else None,
                message=f"not valid YAML: {_QUOTED.sub('(…)', str(exc.problem))}",
            )
        ]
    except yaml.YAMLError:  # e.g. a control character: the reader refuses it before any mark exists
        return [
            AgreementProblem(
                path="", line=None, column=None, message="not valid YAML: a character YAML does not allow"
            )
        ]
    if not isinstance(data, dict):
        return [
            AgreementProblem(path="", line=1, column=1, message="an agreement is a YAML mapping")
        ]
    try:
        Agreement.model_validate(data)
    except ValidationError as exc:
        problems: list[AgreementProblem] = []
        errors = exc.errors(include_input=False, include_url=False)
        locs = [tuple(e["loc"]) for e in errors]
        for error in errors:
            loc = tuple(error["loc"])
            if error["type"] == "too_short" and any(
                o[: len(loc)] == loc and o != loc for o in locs
            ):
                continue  # a container emptied by its members' own errors: report those only
            parts: list[str | int] = [p for p in loc if isinstance(p, str | int)]
            message = str(error["msg"]).removeprefix("Value error, ")
            for piece in message.split("; "):
                match = _PATH_IN_MESSAGE.match(piece)
                sub = parts + (_parts_of(match.group(1)) if match else [])
                line, column = _locate(root, sub)
                problems.append(
                    AgreementProblem(_dotted(sub), line, column, match.group(2) if match else piece)
                )
        return problems
    return []


def parse_agreement_checked(text: str) -> Agreement:
    """Validate an agreement file, raising :class:`AgreementInvalid` with every positioned problem.

    >>> parse_agreement_checked("id: [")
    Traceback (most recent call last):
    ...
    anonymise.agreement_check.AgreementInvalid: line 1, (document): not valid YAML: expected the node content, but found (…)
    """
    problems = check_agreement_text(text)
    if problems:
        raise AgreementInvalid(problems)
    return Agreement.model_validate(yaml.safe_load(text))
