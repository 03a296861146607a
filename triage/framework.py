"""The Framework of Analysis as data: risk factors and indicators loaded from corpus/framework.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from triage.errors import ConfigError

LABELS = tuple(f"RF{i}" for i in range(1, 15))


@dataclass(frozen=True, slots=True)
class Indicator:
    """One numbered indicator, e.g. 13.1; `status` says whether its wording was checked."""

    id: str
    risk_factor: str
    text: str
    status: str  # verified | partial | recalled


@dataclass(frozen=True, slots=True)
class RiskFactor:
    """One of the 14 risk factors."""

    id: str
    name: str
    short_name: str
    description: str
    kind: str
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True, slots=True)
class Framework:
    """All risk factors, in RF order, with lookups by id."""

    risk_factors: tuple[RiskFactor, ...]

    def factor(self, label: str) -> RiskFactor:
        for rf in self.risk_factors:
            if rf.id == label:
                return rf
        raise KeyError(label)

    def indicator(self, ind_id: str) -> Indicator | None:
        for rf in self.risk_factors:
            for ind in rf.indicators:
                if ind.id == ind_id:
                    return ind
        return None

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for rf in self.risk_factors for i in rf.indicators)


@lru_cache(maxsize=4)
def load_framework(path: Path) -> Framework:
    """Read and check the Framework file; every label RF1..RF14 must be there, in order."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the Framework file {path}: {exc}") from exc
    factors = []
    for rf in raw.get("risk_factors", []):
        inds = tuple(
            Indicator(id=str(i["id"]), risk_factor=rf["id"], text=i["text"], status=i["status"])
            for i in rf.get("indicators", [])
        )
        factors.append(
            RiskFactor(
                id=rf["id"],
                name=rf["name"],
                short_name=rf.get("short_name", rf["name"]),
                description=rf["description"],
                kind=rf.get("kind", ""),
                indicators=inds,
            )
        )
    if tuple(f.id for f in factors) != LABELS:
        raise ConfigError(f"{path} must list risk factors {LABELS[0]}..{LABELS[-1]} in order")
    return Framework(tuple(factors))
