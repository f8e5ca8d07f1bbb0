"""One role's figures: drawn from a seeded ``random.Random``, read from the seed page's
record, or revised by the demo site's *change* switch."""

from __future__ import annotations

import json
import random
from functools import lru_cache
from importlib import resources

from demosite import render, vocab
from schemas.records import MonthsRange, SideRecord

#: (min months, max months, unit shown) a role can take to become.
TIME_RANGES: tuple[tuple[int, int, str], ...] = (
    (1, 3, "months"),
    (3, 6, "months"),
    (6, 12, "months"),
    (12, 24, "years"),
    (24, 48, "years"),
    (24, 36, "years"),
    (36, 60, "years"),
    (48, 72, "years"),
    (72, 96, "years"),
    (96, 120, "years"),
)

#: figures a drawn role leaves out (None) now and then, as the live site does
_SOMETIMES_MISSING: tuple[str, ...] = (
    "number_of_jobs",
    "growth_rate_pct",
    "years_of_experience",
    "lgbt_pct",
    "most_common_college",
    "best_paying_company",
    "best_paying_industry",
    "highest_paying_state",
    "most_common_major",
    "gender_pct",
    "race_pct",
)


def _tenths_summing_to_1000(weights: list[float]) -> list[int]:
    total = sum(weights)
    parts = [max(1, int(1000 * w / total)) for w in weights]
    parts[parts.index(max(parts))] += 1000 - sum(parts)
    return parts


def _description(rng: random.Random, title: str) -> str:
    lowered = title.lower()
    duties = rng.sample(vocab.DUTIES, 3)
    opening = rng.choice(vocab.DUTY_OPENINGS)
    return (
        f"{render.article(lowered).capitalize()} {lowered} {opening} {duties[0]}. "
        f"Their responsibilities include {duties[1]} and {duties[2]}. "
        "They work with many people in the organization, so communication skills matter."
    )


def _race_shares(rng: random.Random) -> dict[str, float]:
    """Percentages per race label summing to 100, in the site's order or (three roles in
    ten) shuffled."""
    race = _tenths_summing_to_1000([rng.uniform(0.5, 1.5) * w for w in (8, 5, 15, 7, 64, 1)])
    labels = list(vocab.RACE_LABELS)
    if rng.random() < 0.3:
        rng.shuffle(labels)
        race_weights = dict(zip(vocab.RACE_LABELS, race, strict=True))
        race = [race_weights[label] for label in labels]
    return {label: part / 10 for label, part in zip(labels, race, strict=True)}


def random_figures(rng: random.Random, title: str) -> tuple[SideRecord, str]:
    """A drawn role's figures and the unit ("months" or "years") its time to become is
    written in."""
    yearly = int(rng.lognormvariate(11.05, 0.38))
    yearly = min(max(yearly, 24_000), 260_000)
    if rng.random() < 0.15:  # the site rounds some figures, so some roles are paid the same
        yearly = rng.choice((52_000, 64_000, 78_000))
    low = int(yearly * rng.uniform(0.55, 0.8)) // 1000 * 1000
    high = -(-int(yearly * rng.uniform(1.2, 1.7)) // 1000) * 1000
    male = rng.randint(80, 920)
    race_pct = _race_shares(rng)
    months = rng.choice(TIME_RANGES) if rng.random() < 0.9 else None
    figures = SideRecord(
        yearly_salary_usd=yearly,
        hourly_rate_usd=round(yearly / 2080, 2),
        growth_rate_pct=float(
            rng.randint(-9, 15) if rng.random() < 0.85 else round(rng.uniform(-5, 12), 1)
        ),
        number_of_jobs=rng.randint(2_000, 450_000),
        job_satisfaction=round(rng.uniform(2.5, 4.9), 1) if rng.random() < 0.25 else None,
        most_common_degree=rng.choice(vocab.DEGREES),
        most_common_degree_pct=float(rng.randint(28, 82)),
        average_age=float(rng.randint(26, 52)),
        years_of_experience=float(rng.randint(1, 12)),
        average_salary_usd=yearly,
        salary_range_low_usd=low,
        salary_range_high_usd=high,
        highest_paying_city=rng.choice(vocab.CITIES),
        highest_paying_state=rng.choice(vocab.STATES),
        best_paying_company=rng.choice(vocab.COMPANIES),
        best_paying_industry=rng.choice(vocab.INDUSTRIES),
        most_common_major=rng.choice(vocab.MAJORS),
        most_common_college=rng.choice(vocab.COLLEGES),
        gender_pct={"male": male / 10, "female": (1000 - male) / 10},
        race_pct=race_pct,
        lgbt_pct=float(rng.randint(4, 16)) if rng.random() < 0.8 else round(rng.uniform(4, 16), 1),
        top_skills=rng.sample(vocab.SKILLS, 3),
        description=_description(rng, title) if rng.random() < 0.8 else None,
        months_to_become=MonthsRange(min=months[0], max=months[1]) if months else None,
    )
    for name in _SOMETIMES_MISSING:
        if rng.random() < 0.05:
            setattr(figures, name, None)
    return figures, months[2] if months else "years"


def revise(figures: SideRecord, rng: random.Random) -> SideRecord:
    """The figures a changed page shows: new pay and job counts, still consistent."""
    revised = figures.model_copy(deep=True)
    if revised.yearly_salary_usd is not None:
        yearly = int(revised.yearly_salary_usd * rng.uniform(1.02, 1.12)) + 1
        revised.yearly_salary_usd = revised.average_salary_usd = yearly
        revised.hourly_rate_usd = round(yearly / 2080, 2)
        if revised.salary_range_high_usd is not None:
            revised.salary_range_high_usd = max(
                revised.salary_range_high_usd, -(-yearly // 1000) * 1000
            )
    revised.number_of_jobs = rng.randint(2_000, 450_000)
    return revised


def seed_record() -> dict:
    """The seed page's record as bundled in ``demosite/data/seed-expected.json``."""
    text = resources.files("demosite").joinpath("data/seed-expected.json").read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def seed_roles() -> dict[str, SideRecord]:
    """The seed page's two roles' figures, by slug: those roles show them on every page."""
    record = seed_record()
    return {
        record["role_a"]["slug"]: SideRecord.model_validate(record["sides"]["a"]),
        record["role_b"]["slug"]: SideRecord.model_validate(record["sides"]["b"]),
    }


@lru_cache(maxsize=16)
def national_figures(seed: int) -> SideRecord:
    """The "All jobs" national average a ``third_column`` page shows beside its roles."""
    return random_figures(random.Random(f"{seed}:all-jobs"), "All jobs")[0]
